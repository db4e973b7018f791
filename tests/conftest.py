"""Shared fixtures: a tiny knowledge base on disk, the fake and the real embedders."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from pg_server import pg_server, pg_url  # noqa: F401 (fixtures: a real PostgreSQL server, a fresh database)
from store_backends import BACKENDS as STORE_BACKENDS

from bot.config import Settings
from knowledge.loader import load_knowledge_base

# The keys of a reply's JSON (DESIGN.md's contract), as `helpdesk ask --json` and Reply.to_json_dict give them.
CONTRACT_KEYS = {
    "text",
    "lang",
    "action",
    "intent",
    "topic",
    "confidence",
    "answer",
    "links",
    "candidates",
    "latency_ms",
}


TINY_COVERAGE = textwrap.dedent("""\
    sectors:
      taxes: Taxes
      identity: Identity documents
    topics:
      - {id: tax-debt-check, sector: taxes, portal: https://e-taxes.gov.az, about: "Checking tax debt."}
      - {id: tax-payment-online, sector: taxes, portal: https://e-taxes.gov.az, about: "Paying tax online."}
      - {id: id-card, sector: identity, portal: https://asan.gov.az, about: "Identity card."}
      - {id: passport, sector: identity, portal: https://asan.gov.az, about: "Passport."}
    """)

TINY_ARTICLES = {
    "tax-debt-check": (
        "taxes",
        {
            "az": (
                "Vergi borcunu necə yoxlamaq olar?",
                "vergi borcu, faiz",
                "Vergi borcunu e-taxes.gov.az şəxsi kabinetində yoxlayın.",
            ),
            "ru": (
                "Как проверить налоговый долг?",
                "налоговый долг, пени",
                "Долг по налогам виден в личном кабинете e-taxes.gov.az.",
            ),
            "en": (
                "How do I check my tax debt?",
                "tax debt, arrears",
                "Your tax debt is shown in the e-taxes.gov.az personal cabinet.",
            ),
        },
    ),
    "tax-payment-online": (
        "taxes",
        {
            "az": (
                "Vergini onlayn necə ödəmək olar?",
                "vergi ödənişi, kart",
                "Vergini bank kartı ilə onlayn ödəyin.",
            ),
            "ru": (
                "Как оплатить налог онлайн?",
                "оплата налога, карта",
                "Оплатите налог банковской картой онлайн.",
            ),
            "en": ("How do I pay tax online?", "tax payment, card", "Pay the tax online with a bank card."),
        },
    ),
    "id-card": (
        "identity",
        {
            "az": (
                "Şəxsiyyət vəsiqəsini necə almaq olar?",
                "şəxsiyyət vəsiqəsi, itirmək",
                "Şəxsiyyət vəsiqəsi ASAN Xidmət mərkəzində verilir.",
            ),
            "ru": (
                "Как получить удостоверение личности?",
                "удостоверение личности, потеря",
                "Удостоверение личности выдают в центре ASAN Xidmət.",
            ),
            "en": (
                "How do I get an identity card?",
                "identity card, lost ID",
                "Identity cards are issued at ASAN Xidmət centres.",
            ),
        },
    ),
    "passport": (
        "identity",
        {
            "az": (
                "Xarici pasportu necə almaq olar?",
                "ümumvətəndaş pasportu, səyahət",
                "Xaricə səyahət üçün pasport ASAN Xidmətdə verilir.",
            ),
            "ru": (
                "Как получить загранпаспорт?",
                "загранпаспорт, поездка",
                "Загранпаспорт для поездок оформляют в ASAN Xidmət.",
            ),
            "en": (
                "How do I get a passport?",
                "travel passport, abroad",
                "A passport for travel abroad is issued at ASAN Xidmət.",
            ),
        },
    ),
}


def article_text(topic_id: str, sector_id: str, langs: dict, **front: str) -> str:
    """A valid article file; ``front`` replaces whole front-matter lines by key."""
    topic, sector = topic_id, sector_id
    lines = {
        "id": f"id: {topic}",
        "topic": f"topic: {topic}",
        "sector": f"sector: {sector}",
        "title": "title: {" + ", ".join(f'{c}: "{v[0]}"' for c, v in langs.items()) + "}",
        "links": "links:\n  - {title: {az: Portal, ru: Портал, en: Portal}, url: https://e-gov.az}",
        "agency": "agency: {az: Qurum, ru: Ведомство, en: Agency}",
        "channel": "channel: online",
        "documents": "documents: {az: [Sənəd], ru: [Документ], en: [Document]}",
        "sources": "sources:\n  - {url: https://e-gov.az, title: Portal, accessed: 2026-11-25, "
        "supports: test fixture}",
        "review": "review: {state: reviewed, by: Test Editor, date: 2026-11-25}",
        "keywords": "keywords: {" + ", ".join(f"{c}: [{v[1]}]" for c, v in langs.items()) + "}",
        "questions": "questions: {" + ", ".join(f'{c}: ["{v[0]}"]' for c, v in langs.items()) + "}",
    }
    lines.update(front)
    body = "".join(f"## {c}\n### {v[0]}\n{v[2]}\n\n" for c, v in langs.items())
    head = "\n".join(line for line in lines.values() if line)
    return f"---\n{head}\n---\n{body}"


def write_tiny_kb(root: Path) -> tuple[Path, Path]:
    articles = root / "articles"
    for topic, (sector, langs) in TINY_ARTICLES.items():
        folder = articles / sector
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{topic}.md").write_text(article_text(topic, sector, langs), encoding="utf-8")
    coverage = root / "coverage.yaml"
    coverage.write_text(TINY_COVERAGE, encoding="utf-8")
    return articles, coverage


@pytest.fixture
def tiny_kb_paths(tmp_path: Path) -> tuple[Path, Path]:
    return write_tiny_kb(tmp_path / "kb")


@pytest.fixture
def tiny_kb(tiny_kb_paths):
    articles, coverage = tiny_kb_paths
    return load_knowledge_base(articles, coverage)


@pytest.fixture(scope="session")
def tiny_intent_model(tmp_path_factory) -> Path:
    """The intent classifier trained once on the bundled utterances and the tiny KB."""
    from intents.classifier import train_classifier

    root = tmp_path_factory.mktemp("tiny-intents")
    kb = load_knowledge_base(*write_tiny_kb(root / "kb"))
    train_classifier(kb).save(root / "model")
    return root / "model"


@pytest.fixture
def tiny_settings(tmp_path: Path, tiny_kb_paths, tiny_intent_model, monkeypatch) -> Settings:
    """Settings for the tiny KB with the fake embedder and a trained intent model; the same
    values are exported to the environment for CLI tests."""
    articles, coverage = tiny_kb_paths
    shutil.copytree(tiny_intent_model, tmp_path / "data" / "intents")
    env = {
        "HELPDESK_DATA_DIR": str(tmp_path / "data"),
        "HELPDESK_ARTICLES_DIR": str(articles),
        "HELPDESK_COVERAGE_FILE": str(coverage),
        "HELPDESK_EMBEDDER": "fake",
        "HELPDESK_METRICS_PORT": "0",
        # The shipped answerability model is calibrated on the bundled KB with e5; the tiny KB
        # with the fake embedder scores on another scale, so its tests leave the check off.
        "HELPDESK_MIN_ANSWERABLE": "0",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)  # no stray .env from the developer's folder
    return Settings()


@pytest.fixture(scope="session")
def e5_embedder():
    from retrieval.embedders import E5Embedder

    return E5Embedder()


@pytest.fixture(scope="session")
def bundled_helpdesk(tmp_path_factory, e5_embedder):
    """The real pipeline: bundled articles, real e5, real faiss index built once per session."""
    import os

    from bot.dialogue import Helpdesk
    from intents.classifier import train_classifier
    from retrieval.index import build_index, save_index

    # A developer may point HELPDESK_TEST_DATA_DIR at a folder with a built index and intent
    # model to skip the minute of building; a stale one is refused by the loader as always.
    reuse = os.environ.get("HELPDESK_TEST_DATA_DIR")
    if reuse:
        # (read only: no parse cache is written into another worktree's data folder)
        shared = Settings(data_dir=Path(reuse), parse_cache=False, _env_file=None)
        return Helpdesk.from_settings(shared, embedder=e5_embedder)
    data_dir = tmp_path_factory.mktemp("bundled-data")
    settings = Settings(data_dir=data_dir, _env_file=None)
    kb = load_knowledge_base(settings.articles_dir, settings.coverage_file)
    save_index(build_index(kb, e5_embedder), settings.index_dir)
    train_classifier(kb).save(settings.intents_dir)
    return Helpdesk.from_settings(settings, embedder=e5_embedder)


OPERATORS_CHAT = -100500


class BotHarness:
    """The real Dispatcher polling a FakeTelegram server on 127.0.0.1, restartable on one store.

    ``overrides`` are Settings fields: ``redis_url=redis_server.url`` runs it on shared state."""

    def __init__(self, fake, helpdesk, data_dir, **overrides) -> None:
        import datetime as dt

        self.fake, self.helpdesk = fake, helpdesk
        values = dict(
            bot_token=fake.token,
            telegram_api_url=fake.base_url,
            data_dir=data_dir,
            rate_limit_per_minute=600,
            rate_limit_burst=50,
            operators_chat_id=OPERATORS_CHAT,
            work_weekdays="0-6",
            work_start=dt.time(0, 0),
            work_end=dt.time(23, 59, 59),
            metrics_port=0,
        )
        values.update(overrides)
        self.settings = Settings(_env_file=None, **values)
        self.store = self.bot = self.dp = self.task = None

    async def start(self) -> BotHarness:
        import asyncio

        from bot.telegram.app import build_dispatcher, make_bot
        from bot.wiring import open_store

        self.store = open_store(self.settings)
        self.bot = make_bot(self.settings)
        self.dp = build_dispatcher(self.helpdesk, self.store, self.settings, background_every=0.2)
        self.task = asyncio.create_task(
            self.dp.start_polling(self.bot, handle_signals=False, polling_timeout=1)
        )
        for _ in range(100):  # ready once it polls
            if self.fake.calls["getUpdates"]:
                break
            await asyncio.sleep(0.05)
        return self

    async def stop(self) -> None:
        import asyncio

        if self.task is None:
            return
        await self.dp.stop_polling()
        await asyncio.wait_for(self.task, 10)
        self.store.close()
        self.task = None

    @property
    def handoff(self):
        return self.dp.workflow_data["handoff"]


def _test_backends() -> tuple[str, bool]:
    """HELPDESK_TEST_BACKEND: a store backend (``sqlite``, the default, or ``postgres``), and
    ``+redis`` for shared state in a real Redis (`make test` runs the end-to-end files on
    ``sqlite`` and again on ``postgres+redis``)."""
    value = os.environ.get("HELPDESK_TEST_BACKEND", "sqlite")
    backend, plus, shared = value.partition("+")
    if backend not in STORE_BACKENDS or (plus and shared != "redis"):
        choices = sorted(STORE_BACKENDS) + [f"{name}+redis" for name in sorted(STORE_BACKENDS)]
        raise pytest.UsageError(f"HELPDESK_TEST_BACKEND: use one of {choices}, not {value!r}")
    return backend, bool(plus)


def test_backend() -> str:
    """The store the end-to-end tests run on (see _test_backends)."""
    return _test_backends()[0]


test_backend.__test__ = False  # a helper, not a test


@pytest.fixture
def e2e_database_url(request) -> str | None:
    """None on SQLite (the data folder's file); with HELPDESK_TEST_BACKEND=postgres the URL of a fresh
    database on the session's PostgreSQL server, dropped after the test."""
    if test_backend() == "sqlite":
        return None
    server = request.getfixturevalue("pg_server")
    url = server.new_database()
    request.addfinalizer(lambda: server.drop(url))
    return url


@pytest.fixture
def e2e_redis_url(request) -> str | None:
    """None unless HELPDESK_TEST_BACKEND ends in ``+redis``: then the URL of a real redis-server
    started for the test (tests/redis_server.py)."""
    if not _test_backends()[1]:
        return None
    return str(request.getfixturevalue("redis_server").url)


@pytest.fixture
async def bot_harness(tmp_path, bundled_helpdesk, e2e_database_url, e2e_redis_url):
    """Make (and clean up) harnesses: ``await bot_harness(**settings)``; on the test backend's store
    (every harness of a test shares one database, so a restart finds what the last one wrote), with
    Redis when the backend says so."""
    from bot.telegram.fake_server import FakeTelegram

    fake = await FakeTelegram().start()
    made = []
    database = {"database_url": e2e_database_url} if e2e_database_url else {}
    if e2e_redis_url:
        database["redis_url"] = e2e_redis_url

    async def make(**overrides) -> BotHarness:
        settings = {**database, **overrides}  # a test's own redis_url or database_url wins
        harness = await BotHarness(fake, bundled_helpdesk, tmp_path / "data", **settings).start()
        made.append(harness)
        return harness

    try:
        yield make
    finally:
        for harness in made:
            await harness.stop()
        await fake.stop()


@pytest.fixture
async def running_bot(bot_harness):
    return await bot_harness()


@pytest.fixture(scope="module")
def world(tmp_path_factory, tiny_intent_model):
    """The Telegram property tests' bot and fake Telegram, one per test module."""
    from telegram_world import World  # aiogram and Hypothesis only for the modules that use it

    made = World(tmp_path_factory.mktemp("telegram-props"), tiny_intent_model)
    yield made
    made.close()


@pytest.fixture
def redis_server(tmp_path):
    """A real redis-server on 127.0.0.1 (tests/redis_server.py): ``.url``; ``.stop()`` and
    ``.start()`` again on the same port for an outage."""
    from redis_server import RedisServer

    server = RedisServer(tmp_path / "redis").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=sorted(STORE_BACKENDS))
def store_backend(request, tmp_path):
    """Each Store backend on a fresh database, for the contract tests (tests/store_backends.py)."""
    store = STORE_BACKENDS[request.param](request, tmp_path)
    yield store
    store.close()


def modules_loaded_by(code: str, packages: tuple[str, ...]) -> list[str]:
    """The modules of ``packages`` that running ``code`` in a fresh interpreter imports."""
    script = f"import sys\n{code}\nprint(sorted(k for k in sys.modules if k.split('.')[0] in {packages!r}))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return ast.literal_eval(out.stdout.strip().splitlines()[-1])
