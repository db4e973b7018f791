"""The real dispatcher on the tiny knowledge base (hashing embedder): seconds, not the e5 minute."""

from __future__ import annotations

from conftest import BotHarness

from bot.config import Settings
from bot.dialogue import Helpdesk
from bot.telegram.fake_server import FakeTelegram
from knowledge.loader import load_knowledge_base
from retrieval.embedders import HashingEmbedder
from retrieval.index import build_index, save_index


def tiny_helpdesk(settings: Settings) -> Helpdesk:
    """A Helpdesk on ``settings``' tiny articles, its index built with the hashing embedder."""
    embedder = HashingEmbedder(64)
    kb = load_knowledge_base(settings.articles_dir, settings.coverage_file)
    save_index(build_index(kb, embedder), settings.index_dir)
    return Helpdesk.from_settings(settings, embedder=embedder)


def tiny_harness(fake: FakeTelegram, settings: Settings, name: str = "bot", **overrides) -> BotHarness:
    """A harness with its own store in ``settings.data_dir / name`` (one per "worker")."""
    helpdesk = tiny_helpdesk(settings)
    values = {"min_answerable": 0, "kb_watch_seconds": 0, **overrides}
    return BotHarness(fake, helpdesk, settings.data_dir / name, **values)
