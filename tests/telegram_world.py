"""The Telegram property tests' world: a real Dispatcher (tiny KB, HashingEmbedder, SQLite on a tmp
path) on one event loop, talking to a FakeTelegram on 127.0.0.1; the hostile inputs Hypothesis draws
from; and the checks every request the bot makes must pass (Telegram's limits, its HTML parser)."""

import asyncio
import contextlib
import datetime as dt
import html
import itertools
import logging
import re
import shutil
import sqlite3
import time

from aiogram.types import Update
from conftest import OPERATORS_CHAT, write_tiny_kb
from hypothesis import settings
from hypothesis import strategies as st

from bot.cases.tickets import Ticket
from bot.config import Settings
from bot.dialogue import Helpdesk
from bot.storage.sqlite import Store
from bot.telegram.app import build_dispatcher, make_bot
from bot.telegram.fake_server import BOT_USER, FakeTelegram
from knowledge.loader import load_knowledge_base
from retrieval.embedders import HashingEmbedder
from retrieval.index import build_index, save_index

BUDGET = settings(max_examples=200, derandomize=True, deadline=None)
OPERATOR, COLLEAGUE, ADMIN = 9001, 9002, 9003
SECRETS = [
    "5ZXK4PT",
    "+994 50 123 45 67",
    "AZE12345678",
    "C01234567",
    "ivan.petrov@example.com",
    "4169 7388 1234 5670",
    "AZ21NABZ00000000137010001944",
]
HUGE = str(2**64)  # past SQLite's INTEGER


def huge(low: int, high: int) -> st.SearchStrategy:
    """A hostile piece repeated to low..high characters (drawn whole, long texts overrun Hypothesis)."""
    return st.builds(
        lambda piece, n: (piece * n)[:n],
        st.text(st.characters(codec="utf-8"), min_size=1, max_size=40),
        st.integers(low, high),
    )


def planted(text: st.SearchStrategy, limit: int | None = None) -> st.SearchStrategy:
    """(text, secret or None): the secret on a line of its own, where redaction must find it."""

    def join(value: str | None, secret: str | None) -> tuple[str | None, str | None]:
        if value is None or secret is None:
            return value, None
        return f"{value}\n{secret}"[-(limit or 0) :], secret

    return st.builds(join, text, st.none() | st.sampled_from(SECRETS))


TEXT = st.one_of(
    st.text(max_size=300),
    huge(1025, 2100),
    huge(4000, 12000),
    st.text("\u202e\u202d\u2066\u200b\x00\x1b\ufeff\u0301<>&/:;@.aəİı🙂 ", max_size=200),
    st.builds(
        lambda base, marks: "".join(ch + marks for ch in base),
        st.text("abəİ ", min_size=1, max_size=40),
        st.text(st.characters(min_codepoint=0x300, max_codepoint=0x36F), min_size=1, max_size=20),
    ),  # zalgo
    st.text("🙂👍🇦🇿\u200d❤️🏳️‍🌈", min_size=1, max_size=60),
    st.builds(
        "bax {}{}.az {}".format,
        st.sampled_from(["https://", "www.", ""]),  # links get a verdict
        st.text("ab&<>\"'\u202e.-_", min_size=1, max_size=12),
        st.sampled_from(["", "vergi borcu"]),
    ),
    st.sampled_from(["", " ", "\x00", "\u202e", "How do I check my tax debt?", "operator", "vergi borcu"]),
)
COMMANDS = [
    "/start",
    "/menu",
    "/lang",
    "/help",
    "/operator",
    "/privacy",
    "/mydata",
    "/forget",
    "/cancel",
    "/take",
    "/start@helpdesk_test_bot",
    "/nonsense",
]
# Half of the bodies are commands with hostile arguments (None: a plain text).
BODY = planted(
    st.builds(
        lambda command, text: f"{command} {text}" if command else text,
        st.sampled_from(COMMANDS + [None] * len(COMMANDS)),
        TEXT,
    )
)
NAME = planted(
    st.one_of(st.sampled_from(["Citizen", "", "<Anar>", "<b>Anar</b> & Co"]), st.text(max_size=40)), 64
)
# Numbers as a forger or a typo makes them: past SQLite's INTEGER, signed, digits int() refuses.
NUMBERS = st.one_of(
    st.integers().map(str),
    st.sampled_from(
        ["²", "١٢٣", "𝟏", "-0", " 7", "1e3", str(2**63), "9" * 30, str(-(2**63) - 1), "0", str(OPERATOR)]
    ),
)
PART = st.one_of(
    NUMBERS, st.sampled_from(["", "1", "az", "xx", "taxes", "tax-debt-check"]), st.text(max_size=12)
)
# Callback data: a real button of the bot's with one part replaced or dropped (None), a known prefix
# with junk parts, or any text at all.
MUTANT = st.tuples(st.integers(0, 30), st.integers(0, 2), st.none() | PART)
DATA = st.one_of(
    MUTANT,
    MUTANT,
    st.text(max_size=100),
    st.builds(
        lambda p, parts: ":".join([p, *parts]),
        st.sampled_from(["l", "t", "s", "f", "o", "h", "r", "ro", "fg", "", "h:h"]),
        st.lists(PART, max_size=3),
    ),
)
# An operator's message: in its ticket's topic, replying to the card or a relayed copy, or forged ids.
WHERE = st.one_of(
    st.sampled_from(["topic", "topic", "card", "relay", "nowhere"]),
    st.tuples(st.sampled_from(["thread", "reply"]), st.integers(-(2**63), 2**63 - 1)),
)
OP_STEP = st.tuples(
    st.sampled_from([OPERATOR, COLLEAGUE, ADMIN]),
    NAME,
    st.sampled_from(["/take", "/release", "/close", "/transfer", "/note", "/kb", "/reload", "", ""]),
    planted(st.one_of(TEXT, NUMBERS)),
    WHERE,
    st.sampled_from([None, "bot", "colleague"]),
)

_TAG = re.compile(r"</?(b|strong|i|em|u|ins|s|strike|del|code|pre|a|blockquote|tg-spoiler)(\s[^<>]*)?>")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


def visible(text: str) -> str:
    """What Telegram shows of an HTML text; fails where the Bot API would refuse it."""
    stack = []
    for tag in _TAG.finditer(text):
        if not tag.group(0).startswith("</"):
            stack.append(tag.group(1))
        else:
            assert stack and stack.pop() == tag.group(1), f"unbalanced {tag.group(0)} in {text[:200]!r}"
    assert not stack and not set("<>&") & set(_ENTITY.sub("", _TAG.sub("", text))), f"bad HTML {text[:200]!r}"
    return html.unescape(_TAG.sub("", text))


def assert_fits_telegram(sent) -> None:
    def length(text: str) -> int:  # Telegram counts UTF-16 code units, after parsing the HTML
        shown = visible(text) if sent.params.get("parse_mode") == "HTML" else text
        return len(shown.encode("utf-16-le")) // 2

    if sent.method in ("sendMessage", "editMessageText"):
        assert 0 < length(sent.text) <= 4096 and sent.text.strip(), (sent.method, length(sent.text))
    assert length(sent.params.get("caption") or "") <= 1024
    assert sent.method != "createForumTopic" or 1 <= len(sent.params["name"]) <= 128
    assert sent.method != "answerCallbackQuery" or len(sent.params.get("text", "")) <= 200
    assert all(len(b.get("callback_data", "").encode()) <= 64 for b in sent.buttons())


class World:
    """The bot under test and the fake Telegram it talks to, on one event loop."""

    def __init__(self, root, intent_model) -> None:
        self.loop = asyncio.new_event_loop()
        self.fake = self.run(FakeTelegram().start())
        articles, coverage = write_tiny_kb(root / "kb")
        shutil.copytree(intent_model, root / "data" / "intents")
        self.settings = Settings(
            _env_file=None,
            bot_token=self.fake.token,
            telegram_api_url=self.fake.base_url,
            data_dir=root / "data",
            articles_dir=articles,
            coverage_file=coverage,
            embedder="fake",
            rate_limit_per_minute=6000,
            rate_limit_burst=500,
            operators_chat_id=OPERATORS_CHAT,
            admin_ids=[ADMIN],
            work_weekdays="0-6",
            work_start=dt.time(0, 0),
            work_end=dt.time(23, 59, 59),
            metrics_port=0,
        )
        embedder = HashingEmbedder(64)
        save_index(build_index(load_knowledge_base(articles, coverage), embedder), self.settings.index_dir)
        self.store = Store(root / "data" / "helpdesk.sqlite3")
        self.bot = make_bot(self.settings)
        self.dp = build_dispatcher(
            Helpdesk.from_settings(self.settings, embedder=embedder), self.store, self.settings
        )
        self.handoff, self.metrics = self.dp.workflow_data["handoff"], self.dp.workflow_data["metrics"]
        self.ids, self.users = itertools.count(1), itertools.count(100_000)
        self.errors: list[logging.LogRecord] = []  # ERROR records: the error router and every "could not"
        self.log = logging.Handler(logging.ERROR)
        self.log.emit = self.errors.append
        logging.getLogger().addHandler(self.log)

    def run(self, coroutine):
        return self.loop.run_until_complete(coroutine)

    def close(self) -> None:
        logging.getLogger().removeHandler(self.log)
        for coroutine in (self.bot.session.close(), self.fake.stop(), self.loop.shutdown_default_executor()):
            self.run(coroutine)
        self.store.close()
        self.loop.close()

    def feed(self, update: dict) -> None:
        update = Update.model_validate({"update_id": next(self.ids), **update}, context={"bot": self.bot})
        self.run(self.dp.feed_update(self.bot, update))

    def say(self, user: int, text: str | None, name: str = "Citizen", ops: bool = False, **content) -> None:
        where = dict(chat_id=OPERATORS_CHAT, chat_type="supergroup") if ops else {}
        update = self.fake.message_update(user, text, **where, **content)
        next(iter(update.values()))["from"]["first_name"] = name
        self.feed(update)

    def press(self, user: int, data: str, ops: bool = False, accessible: bool = True) -> str:
        message = {
            "message_id": next(self.ids),
            "date": int(time.time()) if accessible else 0,
            "chat": {"id": OPERATORS_CHAT, "type": "supergroup"} if ops else {"id": user, "type": "private"},
        }
        if accessible:  # date 0 is how Telegram marks a message the bot can no longer see
            message.update({"from": BOT_USER, "text": "…"})
        query_id = str(next(self.ids))
        self.feed(
            {
                "callback_query": {
                    "id": query_id,
                    "chat_instance": "1",
                    "data": data,
                    "message": message,
                    "from": {"id": user, "is_bot": False, "first_name": "Citizen"},
                }
            }
        )
        return query_id

    def buttons(self, user: int) -> list[str]:
        return [
            b["callback_data"] for s in self.fake.sent_to(user) for b in s.buttons() if "callback_data" in b
        ]

    def open_ticket(self, user: int, name: str = "Citizen") -> Ticket:
        """The real way in: /operator, then "yes" on the consent button."""
        self.say(user, "/operator", name)
        self.press(
            user, next(d for d in reversed(self.buttons(user)) if d.startswith("h:") and d.endswith(":1"))
        )
        return self.handoff.tickets.active_for(user)

    def operator_says(
        self,
        user: int,
        text: str,
        ticket: Ticket,
        where,
        name: str = "Operator",
        reply_from: dict | None = None,
    ) -> None:
        kind, forged = where if isinstance(where, tuple) else (where, None)
        thread = {"topic": ticket.thread_id, "thread": forged}.get(kind)
        reply_to = {
            "card": ticket.card_message_id,
            "reply": forged,
            "relay": next((r.copied_message_id for r in self.handoff.tickets.relays(ticket.id)), None),
        }.get(kind)
        reply_to = reply_to or (
            next(self.ids) if reply_from else None
        )  # a colleague's (or the bot's) message
        content = (
            {
                "reply_to_message": {
                    "message_id": reply_to,
                    "date": int(time.time()),
                    "from": reply_from,
                    "chat": {"id": OPERATORS_CHAT, "type": "supergroup"},
                }
            }
            if reply_to
            else {}
        )
        self.say(user, text, name, ops=True, thread_id=thread, **content)

    @contextlib.contextmanager
    def example(self, *secrets: str | None):
        """Empty the store, run the example, then check all the bot sent and kept meanwhile."""
        with contextlib.closing(sqlite3.connect(self.store.path)) as db, db:
            for (table,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name "
                "NOT LIKE '%migrations' AND name NOT LIKE 'sqlite_%'"
            ).fetchall():
                db.execute(f"DELETE FROM [{table}]")
        sent_before, errors_before, forum = len(self.fake.sent), self.metrics.errors, self.handoff.forum
        self.errors.clear()
        try:
            yield
        finally:
            self.handoff.forum = forum
        assert self.metrics.errors == errors_before, "an exception reached the error router"
        assert not self.errors, [r.getMessage() for r in self.errors]
        for sent in self.fake.sent[sent_before:]:
            assert_fits_telegram(sent)
        with contextlib.closing(sqlite3.connect(self.store.path)) as db:  # the file, as a report reads it
            cells = [
                str(cell)
                for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
                for row in db.execute(f"SELECT * FROM [{table}]")
                for cell in row
            ]
        assert not [s for s in secrets if s and any(s in cell for cell in cells)], "an identifier was stored"
