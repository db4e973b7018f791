"""The read side of the SQLite store: every SELECT the bot, its reports and its metrics run.

:class:`SqliteReads` is the half of :class:`bot.storage.sqlite.SqliteStore` that only reads (it
needs nothing but the store's ``db``); :func:`probe_database` is the doctor's read-only look at a
file, opened beside the live bot without disturbing it.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any, NamedTuple

import sqlite_utils

from bot.cases.model import (
    Draft,
    Relay,
    Ticket,
    relay_direction,
    relay_state,
    ticket_state,
)


def _rows(db: sqlite_utils.Database, sql: str, params: list[Any] | None = None) -> list[dict]:
    return list(db.query(sql, params or []))


def _one(db: sqlite_utils.Database, sql: str, params: list[Any]) -> dict | None:
    rows = _rows(db, sql, params)
    return rows[0] if rows else None


def ticket_from_row(row: dict) -> Ticket:
    """A ``tickets`` row as a :class:`Ticket` (candidates are kept as JSON text in SQLite)."""
    return Ticket(
        **{
            **row,
            "candidates": tuple(json.loads(row["candidates"] or "[]")),
            "state": ticket_state(row["state"]),
        }
    )


def relay_from_row(row: dict) -> Relay:
    return Relay(
        **{**row, "direction": relay_direction(row["direction"]), "state": relay_state(row["state"])}
    )


def _ticket_or_none(row: dict | None) -> Ticket | None:
    return ticket_from_row(row) if row else None


def _relay_or_none(row: dict | None) -> Relay | None:
    return relay_from_row(row) if row else None


class SqliteReads:
    """Reads of the store's tables: tickets, relays and drafts typed, other rows as dicts keyed by
    column name (reports and exports want them so)."""

    db: sqlite_utils.Database

    def ping(self) -> None:
        _rows(self.db, "SELECT 1")

    # citizens, transcript, feedback, audit -------------------------------------------------------
    def user(self, user_id: int) -> dict | None:
        return _one(self.db, "SELECT * FROM users WHERE user_id = ?", [user_id])

    def language(self, user_id: int) -> str | None:
        user = self.user(user_id)
        return user["lang"] if user else None

    def messages(self, user_id: int) -> list[dict]:
        return _rows(self.db, "SELECT * FROM messages WHERE user_id = ? ORDER BY id", [user_id])

    def chat_context(self, chat_id: int) -> tuple[dict[str, Any], float] | None:
        row = _one(self.db, "SELECT context, updated_at FROM chat_context WHERE chat_id = ?", [chat_id])
        if row is None:
            return None
        try:
            context = json.loads(row["context"])
        except ValueError:  # a damaged row is no context, not a crash
            return None
        return (context, float(row["updated_at"])) if isinstance(context, dict) else None

    def feedback(self) -> list[dict]:
        return _rows(self.db, "SELECT * FROM feedback ORDER BY id")

    def audit_log(self) -> list[dict]:
        return _rows(self.db, "SELECT * FROM audit ORDER BY id")

    def export_user(self, user_id: int) -> dict:
        """Everything kept about one citizen (for /mydata)."""
        return {
            "user": self.user(user_id),
            "messages": self.messages(user_id),
            "feedback": _rows(self.db, "SELECT * FROM feedback WHERE user_id = ? ORDER BY id", [user_id]),
            "tickets": _rows(
                self.db,
                "SELECT id, state, lang, sector, reason, question, rating, "
                "created_at, closed_at FROM tickets WHERE user_id = ? ORDER BY id",
                [user_id],
            ),
        }

    # tickets -------------------------------------------------------------------------------------
    def ticket(self, ticket_id: int) -> Ticket | None:
        return _ticket_or_none(_one(self.db, "SELECT * FROM tickets WHERE id = ?", [ticket_id]))

    def active_ticket(self, user_id: int) -> Ticket | None:
        return _ticket_or_none(
            _one(
                self.db,
                "SELECT * FROM tickets WHERE user_id = ? AND state IN ('open', 'claimed') "
                "ORDER BY id DESC LIMIT 1",
                [user_id],
            )
        )

    def ticket_by_thread(self, thread_id: int) -> Ticket | None:
        return _ticket_or_none(
            _one(self.db, "SELECT * FROM tickets WHERE thread_id = ? ORDER BY id DESC LIMIT 1", [thread_id])
        )

    def ticket_by_operator_message(self, message_id: int) -> Ticket | None:
        row = _one(
            self.db,
            "SELECT ticket_id FROM relay WHERE direction = 'to_operators' AND "
            "copied_message_id = ? ORDER BY id DESC LIMIT 1",
            [message_id],
        )
        if row:
            return self.ticket(row["ticket_id"])
        return _ticket_or_none(
            _one(
                self.db,
                "SELECT * FROM tickets WHERE card_message_id = ? ORDER BY id DESC LIMIT 1",
                [message_id],
            )
        )

    def tickets_in(self, states: tuple[str, ...]) -> list[Ticket]:
        marks = ",".join("?" * len(states))
        rows = _rows(self.db, f"SELECT * FROM tickets WHERE state IN ({marks}) ORDER BY id", list(states))
        return [ticket_from_row(r) for r in rows]

    def unclaimed_tickets(self, opened_before: float) -> list[Ticket]:
        rows = _rows(
            self.db,
            "SELECT * FROM tickets WHERE state = 'open' AND reminded_at IS NULL AND opened_at < ?",
            [opened_before],
        )
        return [ticket_from_row(r) for r in rows]

    def open_tickets_up_to(self, ticket_id: int) -> int:
        row = _one(self.db, "SELECT COUNT(*) AS n FROM tickets WHERE state = 'open' AND id <= ?", [ticket_id])
        return row["n"] if row else 0  # COUNT(*) always gives one row

    def active_ticket_count(self) -> int:
        row = _one(self.db, "SELECT COUNT(*) AS n FROM tickets WHERE state IN ('open', 'claimed')", [])
        return row["n"] if row else 0

    def recent_claim_waits(self, last: int) -> list[float]:
        rows = _rows(
            self.db,
            "SELECT claimed_at - opened_at AS wait FROM tickets WHERE claimed_at "
            "IS NOT NULL AND opened_at IS NOT NULL ORDER BY id DESC LIMIT ?",
            [last],
        )
        return [r["wait"] for r in rows if r["wait"] is not None]

    # relay outbox, drafts ------------------------------------------------------------------------
    def relay(self, relay_id: int) -> Relay | None:
        return _relay_or_none(_one(self.db, "SELECT * FROM relay WHERE id = ?", [relay_id]))

    def pending_relays(self) -> list[Relay]:
        """Waiting to be sent, or leased by a sender that never finished (a crash)."""
        rows = _rows(
            self.db,
            "SELECT * FROM relay WHERE state = 'pending' OR "
            "(state = 'sending' AND lease_until < ?) ORDER BY id",
            [time.time()],
        )
        return [relay_from_row(r) for r in rows]

    def relays(self, ticket_id: int) -> list[Relay]:
        rows = _rows(self.db, "SELECT * FROM relay WHERE ticket_id = ? ORDER BY id", [ticket_id])
        return [relay_from_row(r) for r in rows]

    def last_operator_reply(self, ticket_id: int) -> Relay | None:
        return _relay_or_none(
            _one(
                self.db,
                "SELECT * FROM relay WHERE ticket_id = ? AND direction = 'to_citizen' AND "
                "text IS NOT NULL ORDER BY id DESC LIMIT 1",
                [ticket_id],
            )
        )

    def drafts(self) -> list[Draft]:
        return [Draft(**r) for r in _rows(self.db, "SELECT * FROM kb_drafts ORDER BY id")]

    # inbox ---------------------------------------------------------------------------------------
    def inbox_counts(self) -> dict[str, int]:
        return {
            r["state"]: r["n"]
            for r in _rows(self.db, "SELECT state, COUNT(*) AS n FROM inbox GROUP BY state")
        }

    def update_state(self, update_id: int) -> str | None:
        row = _one(self.db, "SELECT state FROM inbox WHERE update_id = ?", [update_id])
        return row["state"] if row else None

    def published_version(self) -> str | None:
        row = _one(self.db, "SELECT value FROM published WHERE name = 'index'", [])
        return row["value"] if row else None

    # editors' reports ----------------------------------------------------------------------------
    def gap_messages(self, since: float) -> list[dict]:
        return _rows(
            self.db,
            "SELECT * FROM messages WHERE direction = 'in' AND created_at >= ? AND "
            "(action IN ('handoff', 'clarify') OR intent = 'out_of_scope') AND action != 'relay' "
            "AND text NOT LIKE '/%' AND text NOT LIKE '[button]%'",
            [since],
        )

    def disliked_questions(self, since: float) -> list[dict]:
        return _rows(
            self.db,
            """SELECT q.* FROM feedback f
           JOIN messages a ON a.id = f.message_id
           JOIN messages q ON q.id = (SELECT MAX(id) FROM messages
                                      WHERE user_id = a.user_id AND direction = 'in' AND id < a.id)
           WHERE f.helpful = 0 AND f.created_at >= ?""",
            [since],
        )

    def referred_services(self, since: float) -> list[tuple[str, int]]:
        rows = _rows(
            self.db,
            "SELECT topic, COUNT(*) AS n FROM messages WHERE direction = 'in' AND action = 'refer' "
            "AND topic IS NOT NULL AND created_at >= ? GROUP BY topic ORDER BY n DESC, topic",
            [since],
        )
        return [(r["topic"], r["n"]) for r in rows]

    def usage_messages(self, since: float) -> list[dict]:
        return _rows(
            self.db,
            "SELECT created_at, action, topic, lang FROM messages "
            "WHERE direction = 'in' AND action IS NOT NULL "
            "AND action IN ('answer', 'clarify', 'refer', 'handoff', 'smalltalk') AND created_at >= ?",
            [since],
        )

    def feedback_votes(self, since: float) -> list[dict]:
        return _rows(
            self.db, "SELECT topic, lang, helpful, created_at FROM feedback WHERE created_at >= ?", [since]
        )


class DatabaseHealth(NamedTuple):
    integrity: str  # "ok", or what SQLite's quick_check found
    waiting: dict[str, int]  # inbox updates not yet done, by state


class DatabaseUnreadable(Exception):
    """The file is not a database SQLite can open and read."""


def probe_database(path: Path) -> DatabaseHealth:
    """Integrity and the inbox's unfinished updates, opened read-only so the bot is not disturbed."""
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            check = db.execute("PRAGMA quick_check").fetchone()[0]
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            waiting = (
                dict(db.execute("SELECT state, COUNT(*) FROM inbox WHERE state != 'done' GROUP BY state"))
                if "inbox" in tables
                else {}
            )
        finally:
            db.close()
    except sqlite3.Error as exc:
        raise DatabaseUnreadable(str(exc)) from exc
    return DatabaseHealth(check, waiting)
