"""The staff console's test world, shared by the client tests and the browser test: a helpdesk on
the tiny knowledge base, a real SQLite store with three staff members and one case."""

from __future__ import annotations

import pytest
from conftest import TINY_ARTICLES, article_text

from bot.cases.model import TicketRequest
from bot.cases.tickets import Tickets
from bot.config import Settings
from bot.dialogue import Helpdesk
from bot.storage.sqlite import SqliteStore
from bot.transcript import Transcript
from bot.web.staff import StaffAccounts
from knowledge.loader import load_knowledge_base
from retrieval.embedders import HashingEmbedder
from retrieval.index import build_index, save_index

PASSWORDS = {"ada": "admin-pass-1234", "eli": "editor-pass-1234", "sam": "super-pass-1234"}
ROLES = {"ada": "admin", "eli": "editor", "sam": "supervisor"}
FIN, PHONE = "5ZXK4PT", "+994 50 123 45 67"
PAGES = [
    "/",
    "/dashboard",
    "/dashboard.csv",
    "/tickets",
    "/tickets/1",
    "/gaps",
    "/knowledge",
    "/knowledge/passport",
]
ACTIONS = ["/logout", "/lang", "/knowledge/reload", "/knowledge/passport/review", "/gaps/start"]


def make_settings(tiny_settings: Settings, **overrides) -> Settings:
    return Settings(_env_file=None, **{**tiny_settings.model_dump(), **overrides})


@pytest.fixture
def world(tiny_settings, tmp_path):
    """A helpdesk on the tiny KB, a store with three staff members and one case with identifiers."""
    # The passport article starts as a draft, for "mark reviewed".
    sector, langs = TINY_ARTICLES["passport"]
    (tiny_settings.articles_dir / sector / "passport.md").write_text(
        article_text("passport", sector, langs, review="review: {state: draft}"), encoding="utf-8"
    )
    embedder = HashingEmbedder(64)
    kb = load_knowledge_base(tiny_settings.articles_dir, tiny_settings.coverage_file)
    save_index(build_index(kb, embedder), tiny_settings.index_dir)
    helpdesk = Helpdesk.from_settings(tiny_settings, embedder=embedder)
    store = SqliteStore(tmp_path / "console.sqlite3")
    accounts = StaffAccounts(store)
    for name, role in ROLES.items():
        accounts.add(name, role, PASSWORDS[name])
    seed_case(store)
    yield tiny_settings, store, helpdesk, accounts
    store.close()


def seed_case(store) -> int:
    """A citizen's question with a FIN, a phone and markup, logged the way the bot logs it."""
    transcript = Transcript(store)
    text = f"<script>alert(1)</script> my FIN {FIN}, phone {PHONE}"
    transcript.log(7, 7, "in", text, lang="en", action="handoff", intent="question", topic=None)
    transcript.log(7, 7, "out", "<b>An operator</b> will answer", lang="en", action="handoff")
    transcript.log(7, 7, "in", "how to check tax debt", lang="en", action="answer", topic="tax-debt-check")
    tickets = Tickets(store)
    candidates = [{"topic": "tax-debt-check", "score": 0.31}, {"topic": "passport", "score": 0.12}]
    ticket_id = tickets.request(
        TicketRequest(7, 7, "Aysel", "en", "taxes", "low_confidence", text, candidates, 0.31)
    )
    tickets.open(ticket_id, 7)
    ticket = tickets.get(ticket_id)
    assert ticket is not None
    tickets.add_draft(ticket, 99, f"call {PHONE}")
    return ticket_id


class ConsoleServer:
    """The console app served on 127.0.0.1 (a free port) from its own event loop in a thread, so a
    blocking browser driver can talk to it."""

    def __init__(self, app_factory) -> None:
        import asyncio
        import threading

        self._factory = app_factory
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.url = ""

    def _run(self) -> None:
        import asyncio

        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._start())
        self._ready.set()
        self._loop.run_forever()

    async def _start(self) -> None:
        from aiohttp import web

        self._runner = web.AppRunner(self._factory(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"

    def start(self) -> ConsoleServer:
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("the console did not start")
        return self

    def stop(self) -> None:
        import asyncio

        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


# What Chromium needs to run headless here, and nothing that reaches out to the network.
CHROMIUM_ARGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-extensions",
)


def chromium(user_data_dir, width: int = 1280, height: int = 900):
    """Debian's Chromium through Debian's chromedriver, both named, so Selenium Manager fetches nothing."""
    import os

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager, should anything call it, stays offline
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in (*CHROMIUM_ARGS, f"--user-data-dir={user_data_dir}", f"--window-size={width},{height}"):
        options.add_argument(arg)
    return webdriver.Chrome(options=options, service=Service(executable_path="/usr/bin/chromedriver"))
