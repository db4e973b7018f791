"""One place that turns Settings into the parts: the knowledge base, the store, the index check
and the helpdesk. The CLI, the bot, the reloader, the doctor and the tools all build through here.

The Telegram-free core cannot import this module (it reaches the storage backend), so
``Helpdesk.from_settings`` loads the knowledge base itself, the same way as :func:`knowledge_base`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import ConfigError, Settings

if TYPE_CHECKING:
    from bot.dialogue import Helpdesk
    from bot.storage.base import Store
    from knowledge.loader import KnowledgeBase
    from retrieval.embedders import Embedder

DATABASE_FILE = "helpdesk.sqlite3"


def knowledge_base(settings: Settings) -> KnowledgeBase:
    """The articles, coverage and directory the settings name; an ArticleError says what is wrong."""
    from knowledge.loader import load_knowledge_base

    return load_knowledge_base(
        settings.articles_dir,
        settings.coverage_file,
        tuple(settings.official_domains),
        cache_file=settings.parse_cache_file,
    )


def database_path(settings: Settings) -> Path:
    return settings.data_dir / DATABASE_FILE


def open_store(settings: Settings) -> Store:
    """PostgreSQL when HELPDESK_DATABASE_URL is set (migrated, pooled), else the SQLite file in the
    data folder. An unusable URL is a ConfigError naming the variable, never showing the password."""
    if settings.database_url is not None:
        from bot.storage import StoreUnavailable
        from bot.storage.postgres import PostgresStore

        try:
            return PostgresStore(settings.database_url.get_secret_value(), settings.database_pool_size)
        except StoreUnavailable as exc:  # its message names the variable and shows no password
            raise ConfigError(str(exc)) from None
    from bot.storage.sqlite import SqliteStore

    return SqliteStore(database_path(settings))


def check_index(settings: Settings, kb: KnowledgeBase, embedder: Embedder) -> None:
    """Raise IndexMissingError or IndexStaleError unless the saved index fits ``kb`` and ``embedder``."""
    from retrieval.index import check_fresh, read_meta

    check_fresh(read_meta(settings.index_dir), kb, embedder.name, embedder.dim)


def build_helpdesk(settings: Settings, embedder: Embedder | None = None, serving: bool = False) -> Helpdesk:
    """The helpdesk; ``serving``: for the bot, whose e5 encodes several messages at once."""
    from bot.dialogue import Helpdesk, serving_encoder_copies

    copies = serving_encoder_copies(settings) if serving else 1
    return Helpdesk.from_settings(settings, embedder=embedder, encoder_copies=copies)
