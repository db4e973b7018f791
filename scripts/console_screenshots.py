"""Screenshots of the staff console for the README: docs/console-dashboard.png and
docs/console-card-preview.png.

Builds a throw-away data folder on the bundled knowledge base (the hashing embedder, so no model is
loaded), makes up two weeks of redacted demo traffic and a few cases, serves the console on
127.0.0.1 and photographs it with Debian's headless Chromium.

    python scripts/console_screenshots.py [--out docs]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import tempfile
from pathlib import Path

from aiohttp import web

from bot.cases.model import TicketRequest
from bot.cases.tickets import Tickets
from bot.config import Settings
from bot.dialogue import Helpdesk
from bot.serving import HelpdeskRef
from bot.storage.sqlite import SqliteStore
from bot.transcript import Transcript
from bot.web.app import console_app
from bot.web.staff import StaffAccounts
from intents.classifier import train_classifier
from knowledge.loader import load_knowledge_base
from retrieval.embedders import HashingEmbedder
from retrieval.index import build_index, save_index

ACTIONS = ("answer",) * 6 + ("clarify",) * 2 + ("refer",) * 2 + ("handoff", "smalltalk")
LANGS = ("az",) * 5 + ("ru",) * 3 + ("en",)
DEMO_PASSWORD = "demo-password-1234"


def seed(store: SqliteStore, topics: list[str], path: Path) -> None:
    rng = random.Random(17)
    transcript, tickets = Transcript(store), Tickets(store)
    for n in range(420):
        user = 1000 + n % 60
        action = rng.choice(ACTIONS)
        topic = rng.choice(topics[:8]) if action in ("answer", "clarify") else None
        lang = rng.choice(LANGS)
        message = transcript.log(user, user, "in", "(demo question)", lang=lang, action=action, topic=topic)
        if action == "answer" and rng.random() < 0.2:
            store.add_feedback(user, message, topic, "az", rng.random() < 0.8)
    for n in range(9):
        user = 2000 + n
        ticket = tickets.request(
            TicketRequest(user, user, None, "az", None, "low_confidence", "(demo case)", [], 0.2)
        )
        tickets.open(ticket, user)
        if n < 6:
            tickets.claim(ticket, 77, "Operator")
            tickets.close(ticket)
            tickets.rate(ticket, user, 3 + n % 3)
    store.close()
    # Demo only: spread the rows over two weeks and give the cases waits (the store writes "now").
    db = sqlite3.connect(path)
    db.execute("UPDATE messages SET created_at = created_at - (id % 14) * 86400 - (id % 7) * 3600")
    db.execute("UPDATE feedback SET created_at = created_at - (id % 14) * 86400")
    db.execute("UPDATE tickets SET opened_at = COALESCE(claimed_at, opened_at) - (id * 397 % 1500) - 60")
    db.commit()
    db.close()


async def photograph(url: str, out: Path, profile: Path) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--window-size=1200,1000",
    ):
        options.add_argument(arg)

    def shoot() -> None:
        driver = webdriver.Chrome(options=options, service=Service(executable_path="/usr/bin/chromedriver"))
        try:
            driver.get(f"{url}/login?lang=en")
            driver.find_element(By.ID, "name").send_keys("admin")
            driver.find_element(By.ID, "password").send_keys(DEMO_PASSWORD)
            driver.find_element(By.ID, "login-button").click()
            driver.save_screenshot(str(out / "console-dashboard.png"))
            driver.get(f"{url}/knowledge/tax-debt-check?card=en")
            driver.save_screenshot(str(out / "console-card-preview.png"))
        finally:
            driver.quit()

    await asyncio.to_thread(shoot)


async def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        settings = Settings(
            _env_file=None, data_dir=data, embedder="fake", parse_cache=False, min_answerable=0
        )
        kb = load_knowledge_base(settings.articles_dir, settings.coverage_file)
        embedder = HashingEmbedder(64)
        save_index(build_index(kb, embedder), settings.index_dir)
        train_classifier(kb).save(settings.intents_dir)
        helpdesk = Helpdesk.from_settings(settings, embedder=embedder)
        database = data / "helpdesk.sqlite3"
        seed(SqliteStore(database), sorted(kb.by_topic), database)
        store = SqliteStore(database)
        StaffAccounts(store).add("admin", "admin", DEMO_PASSWORD, lang="en")
        runner = web.AppRunner(console_app(settings, store, HelpdeskRef(helpdesk)), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        try:
            await photograph(f"http://127.0.0.1:{port}", out, Path(tmp) / "profile")
        finally:
            await runner.cleanup()
            store.close()
    print(f"wrote {out / 'console-dashboard.png'} and {out / 'console-card-preview.png'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs"))
    asyncio.run(main(parser.parse_args().out))
