"""SQLite storage through sqlite-utils: users, messages, feedback, tickets, audit, the inbox.

* WAL journal: readers (reports) never block the bot's writes.
* ``synchronous=NORMAL``: with WAL a commit survives a crash of the process; only a power loss
  can drop the last transactions — acceptable for a helpdesk log, and several times faster
  than FULL.
* ``busy_timeout`` 5 s: a second process (a CLI report) waits instead of failing.
* One writer at a time: every write goes through one lock, so the bot's tasks never interleave
  a transaction.

Text is redacted before it is written: nothing here ever holds a raw identifier.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from contextvars import ContextVar
from pathlib import Path
from typing import cast

import sqlite_utils
from sqlite_utils.migrations import Migrations

from bot.redact import redact

# The update whose handler is running (set by the inbox middleware; None outside handlers).
HANDLING_UPDATE: ContextVar[int | None] = ContextVar("handling_update", default=None)

migrations = Migrations("citizen-helpdesk")


@migrations()
def m001_users_messages_feedback(db: sqlite_utils.Database) -> None:
    db.execute("""
        CREATE TABLE users (
            user_id INTEGER PRIMARY KEY,
            lang TEXT,
            consent_at REAL,
            created_at REAL NOT NULL,
            last_seen_at REAL NOT NULL
        )""")
    db.execute("""
        CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL,
            chat_id INTEGER NOT NULL,
            direction TEXT NOT NULL,          -- in | out
            text TEXT NOT NULL,               -- redacted
            lang TEXT,
            action TEXT,
            intent TEXT,
            topic TEXT,
            confidence REAL,
            latency_ms REAL,
            created_at REAL NOT NULL
        )""")
    db.execute("CREATE INDEX messages_user ON messages(user_id, created_at)")
    db.execute("""
        CREATE TABLE feedback (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL,
            message_id INTEGER,
            topic TEXT,
            lang TEXT,
            helpful INTEGER NOT NULL,         -- 1 = 👍, 0 = 👎
            created_at REAL NOT NULL,
            UNIQUE (user_id, message_id)
        )""")


@migrations()
def m002_tickets_relay_audit(db: sqlite_utils.Database) -> None:
    db.execute("""
        CREATE TABLE tickets (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL,
            chat_id INTEGER NOT NULL,
            first_name TEXT,
            lang TEXT NOT NULL,
            sector TEXT,
            reason TEXT NOT NULL,            -- operator_request | low_confidence | complaint | ...
            question TEXT NOT NULL,          -- redacted
            candidates TEXT NOT NULL,        -- JSON: [{topic, score}]
            confidence REAL,
            state TEXT NOT NULL,             -- consent | open | claimed | closed | declined
            operator_id INTEGER,
            operator_name TEXT,
            thread_id INTEGER,               -- forum topic; NULL in reply-based mode
            card_message_id INTEGER,
            rating INTEGER,
            reminded_at REAL,
            created_at REAL NOT NULL,
            opened_at REAL,
            claimed_at REAL,
            closed_at REAL
        )""")
    db.execute("CREATE INDEX tickets_user ON tickets(user_id, state)")
    db.execute("CREATE INDEX tickets_thread ON tickets(thread_id)")
    db.execute("""
        CREATE TABLE relay (
            id INTEGER PRIMARY KEY,
            ticket_id INTEGER NOT NULL REFERENCES tickets(id),
            direction TEXT NOT NULL,         -- to_operators | to_citizen
            from_chat_id INTEGER NOT NULL,
            message_id INTEGER NOT NULL,
            sender_id INTEGER,
            text TEXT,                       -- redacted copy, for /kb and the record
            state TEXT NOT NULL,             -- pending | sent | failed
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            copied_message_id INTEGER,
            created_at REAL NOT NULL,
            sent_at REAL,
            UNIQUE (from_chat_id, message_id)
        )""")
    db.execute("CREATE INDEX relay_pending ON relay(state, created_at)")
    db.execute("CREATE TABLE processed_updates (update_id INTEGER PRIMARY KEY, handled_at REAL NOT NULL)")
    db.execute("""
        CREATE TABLE kb_drafts (
            id INTEGER PRIMARY KEY,
            ticket_id INTEGER NOT NULL,
            operator_id INTEGER NOT NULL,
            lang TEXT,
            question TEXT NOT NULL,
            answer TEXT NOT NULL,
            created_at REAL NOT NULL
        )""")
    db.execute("""
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY,
            actor_id INTEGER,
            action TEXT NOT NULL,
            ticket_id INTEGER,
            detail TEXT,
            created_at REAL NOT NULL
        )""")


@migrations()
def m003_relay_lease(db: sqlite_utils.Database) -> None:
    # A relay row is leased by whoever sends it, so the handler and the retry loop never both do.
    db.execute("ALTER TABLE relay ADD COLUMN lease_until REAL")


@migrations()
def m004_inbox(db: sqlite_utils.Database) -> None:
    # Raw updates are kept (redacted) from the moment they arrive until they are handled, so a
    # crash mid-handling replays them; processed_updates only remembered the ids.
    db.execute("""
        CREATE TABLE inbox (
            update_id INTEGER PRIMARY KEY,
            state TEXT NOT NULL,             -- received | handling | done | failed
            payload TEXT,                    -- redacted update JSON; NULL once handled
            attempts INTEGER NOT NULL DEFAULT 0,
            received_at REAL NOT NULL,
            done_at REAL
        )""")
    db.execute("CREATE INDEX inbox_unfinished ON inbox(state, update_id)")
    db.execute(
        "INSERT INTO inbox (update_id, state, attempts, received_at, done_at) "
        "SELECT update_id, 'done', 1, handled_at, handled_at FROM processed_updates"
    )
    db.execute("DROP TABLE processed_updates")
    # Which update wrote a transcript row, so a replayed update does not log its message twice.
    db.execute("ALTER TABLE messages ADD COLUMN update_id INTEGER")
    db.execute("CREATE INDEX messages_update ON messages(update_id)")


class Store:
    """The helpdesk's database; safe to share between asyncio tasks and threads."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # One connection shared under a lock; the event loop and worker threads may both use it.
        self.db = sqlite_utils.Database(sqlite3.connect(self.path, check_same_thread=False))
        self.db.execute("PRAGMA busy_timeout = 5000")
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = NORMAL")
        self.db.execute("PRAGMA foreign_keys = ON")
        # Deleted rows (a handled update's payload, a forgotten citizen) are overwritten, not
        # left readable in free pages.
        self.db.execute("PRAGMA secure_delete = ON")
        self._lock = threading.Lock()
        with self._lock:
            migrations.apply(self.db)
        if self.path != ":memory:":
            os.chmod(self.path, 0o600)

    def close(self) -> None:
        self.db.close()

    def _write(self, sql: str, params: tuple | dict = ()) -> int | None:
        with self._lock, self.db.conn:
            cursor = self.db.execute(sql, params)
            return cursor.lastrowid

    def _insert(self, sql: str, params: tuple | dict = ()) -> int:
        """An INSERT: the new row's id (sqlite3 sets ``lastrowid`` after every INSERT)."""
        return cast(int, self._write(sql, params))

    # users -----------------------------------------------------------------------------------
    def touch_user(self, user_id: int, lang: str | None = None) -> None:
        now = time.time()
        self._write(
            """INSERT INTO users (user_id, lang, created_at, last_seen_at) VALUES (?, ?, ?, ?)
                       ON CONFLICT(user_id) DO UPDATE SET last_seen_at = excluded.last_seen_at""",
            (user_id, lang, now, now),
        )

    def set_language(self, user_id: int, lang: str) -> None:
        self.touch_user(user_id)
        self._write("UPDATE users SET lang = ? WHERE user_id = ?", (lang, user_id))

    def set_consent(self, user_id: int) -> None:
        self.touch_user(user_id)
        self._write("UPDATE users SET consent_at = ? WHERE user_id = ?", (time.time(), user_id))

    def user(self, user_id: int) -> dict | None:
        rows = list(self.db.query("SELECT * FROM users WHERE user_id = ?", [user_id]))
        return rows[0] if rows else None

    def language(self, user_id: int) -> str | None:
        user = self.user(user_id)
        return user["lang"] if user else None

    # messages --------------------------------------------------------------------------------
    def log_message(
        self,
        user_id: int,
        chat_id: int,
        direction: str,
        text: str,
        *,
        lang: str | None = None,
        action: str | None = None,
        intent: str | None = None,
        topic: str | None = None,
        confidence: float | None = None,
        latency_ms: float | None = None,
    ) -> int:
        if direction not in ("in", "out"):
            raise ValueError(f"direction must be 'in' or 'out', got {direction!r}")
        return self._insert(
            """INSERT INTO messages (user_id, chat_id, direction, text, lang, action, intent, topic,
                                     confidence, latency_ms, created_at, update_id)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (
                user_id,
                chat_id,
                direction,
                redact(text or ""),
                lang,
                action,
                intent,
                topic,
                confidence,
                latency_ms,
                time.time(),
                HANDLING_UPDATE.get(),
            ),
        )

    def messages(self, user_id: int) -> list[dict]:
        return list(self.db.query("SELECT * FROM messages WHERE user_id = ? ORDER BY id", [user_id]))

    def audit(
        self, actor_id: int | None, action: str, ticket_id: int | None = None, detail: str = ""
    ) -> None:
        self._write(
            "INSERT INTO audit (actor_id, action, ticket_id, detail, created_at) VALUES (?, ?, ?, ?, ?)",
            (actor_id, action, ticket_id, redact(detail), time.time()),
        )

    def audit_log(self) -> list[dict]:
        return list(self.db.query("SELECT * FROM audit ORDER BY id"))

    def export_user(self, user_id: int) -> dict:
        """Everything kept about one citizen (for /mydata)."""
        return {
            "user": self.user(user_id),
            "messages": self.messages(user_id),
            "feedback": list(
                self.db.query("SELECT * FROM feedback WHERE user_id = ? ORDER BY id", [user_id])
            ),
            "tickets": list(
                self.db.query(
                    "SELECT id, state, lang, sector, reason, question, rating, "
                    "created_at, closed_at FROM tickets WHERE user_id = ? ORDER BY id",
                    [user_id],
                )
            ),
        }

    def forget_user(self, user_id: int) -> dict:
        """Delete a citizen's messages, feedback, tickets' texts and profile (for /forget)."""
        with self._lock, self.db.conn:
            counts = {}
            for table in ("messages", "feedback"):
                counts[table] = self.db.execute(f"DELETE FROM {table} WHERE user_id = ?", [user_id]).rowcount
            ticket_ids = [
                r[0] for r in self.db.execute("SELECT id FROM tickets WHERE user_id = ?", [user_id])
            ]
            marks = ",".join("?" * len(ticket_ids))
            if ticket_ids:
                self.db.execute(f"DELETE FROM relay WHERE ticket_id IN ({marks})", ticket_ids)
                self.db.execute(f"DELETE FROM kb_drafts WHERE ticket_id IN ({marks})", ticket_ids)
            counts["tickets"] = self.db.execute("DELETE FROM tickets WHERE user_id = ?", [user_id]).rowcount
            counts["users"] = self.db.execute("DELETE FROM users WHERE user_id = ?", [user_id]).rowcount
            self.db.execute("DELETE FROM audit WHERE actor_id = ?", [user_id])
        return counts

    def backup(self, target: Path | str) -> dict:
        """An online copy (SQLite's backup API: consistent while the bot writes), then checked."""
        import sqlite3 as _sqlite3

        target = Path(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            destination = _sqlite3.connect(target)
            try:
                self.db.conn.backup(destination)
                check = destination.execute("PRAGMA integrity_check").fetchone()[0]
                counts = {
                    t: destination.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                    for t in ("users", "messages", "tickets")
                }
            finally:
                destination.close()
        os.chmod(target, 0o600)
        return {"integrity": check, **counts}

    def purge_older_than(self, days: int) -> int:
        """Delete transcripts older than the retention period; returns how many went."""
        cutoff = time.time() - days * 86400
        with self._lock, self.db.conn:
            cursor = self.db.execute("DELETE FROM messages WHERE created_at < ?", [cutoff])
            # Handled updates' ids are only needed to spot a redelivery, which comes within hours.
            self.db.execute(
                "DELETE FROM inbox WHERE state IN ('done', 'failed') AND received_at < ?", [cutoff]
            )
            return cursor.rowcount

    # feedback --------------------------------------------------------------------------------
    def add_feedback(
        self, user_id: int, message_id: int | None, topic: str | None, lang: str | None, helpful: bool
    ) -> bool:
        """Record 👍/👎 once per answer; a second press changes the vote. True if stored."""
        self._write(
            """INSERT INTO feedback (user_id, message_id, topic, lang, helpful, created_at)
                       VALUES (?, ?, ?, ?, ?, ?)
                       ON CONFLICT(user_id, message_id) DO UPDATE SET helpful = excluded.helpful""",
            (user_id, message_id, topic, lang, int(helpful), time.time()),
        )
        return True

    def feedback(self) -> list[dict]:
        return list(self.db.query("SELECT * FROM feedback ORDER BY id"))
