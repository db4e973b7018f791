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

import fcntl
import json
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlite_utils

from bot.redact import redact
from bot.storage import base
from bot.storage.schema import migrations
from bot.storage.sqlite_staff import SqliteStaffRows
from bot.storage.sqlite_tickets import SqliteTicketRows
from bot.storage.writer import Writer

__all__ = ["SqliteStore", "Store", "migrations"]


@contextmanager
def _setting_up(path: str) -> Iterator[None]:
    """An exclusive lock on ``<file>.lock`` across processes (none for an in-memory database)."""
    if path == ":memory:":
        yield
        return
    with open(f"{path}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


class SqliteStore(SqliteStaffRows, SqliteTicketRows):
    """The helpdesk's database in one SQLite file; safe to share between asyncio tasks and threads.

    Citizens' rows and the inbox are written here, tickets and relays in
    :class:`~bot.storage.sqlite_tickets.SqliteTicketRows`, staff accounts and console sessions in
    :class:`~bot.storage.sqlite_staff.SqliteStaffRows`, every other read is in
    :class:`~bot.storage.queries.SqliteReads`; all writes go through one :class:`Writer`.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Workers starting together on one file take turns to set it up: sqlite-utils' migrations
        # read, then write, and two at once fail with "database is locked" instead of waiting.
        with _setting_up(self.path):
            # One connection shared under a lock; the event loop and worker threads may both use it.
            self.db = sqlite_utils.Database(sqlite3.connect(self.path, check_same_thread=False))
            self.db.execute("PRAGMA busy_timeout = 5000")
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA synchronous = NORMAL")
            self.db.execute("PRAGMA foreign_keys = ON")
            # Deleted rows (a handled update's payload, a forgotten citizen) are overwritten, not
            # left readable in free pages.
            self.db.execute("PRAGMA secure_delete = ON")
            self.writer = Writer(self.db)
            with self.writer.lock:
                migrations.apply(self.db)
        if self.path != ":memory:":
            os.chmod(self.path, 0o600)

    def close(self) -> None:
        self.db.close()

    # users -----------------------------------------------------------------------------------
    def touch_user(self, user_id: int, lang: str | None = None) -> None:
        now = time.time()
        self.writer.execute(
            """INSERT INTO users (user_id, lang, created_at, last_seen_at) VALUES (?, ?, ?, ?)
                       ON CONFLICT(user_id) DO UPDATE SET last_seen_at = excluded.last_seen_at""",
            (user_id, lang, now, now),
        )

    def set_language(self, user_id: int, lang: str) -> None:
        self.touch_user(user_id)
        self.writer.execute("UPDATE users SET lang = ? WHERE user_id = ?", (lang, user_id))

    def set_consent(self, user_id: int) -> None:
        self.touch_user(user_id)
        self.writer.execute("UPDATE users SET consent_at = ? WHERE user_id = ?", (time.time(), user_id))

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
        update_id: int | None = None,
    ) -> int:
        if direction not in ("in", "out"):
            raise ValueError(f"direction must be 'in' or 'out', got {direction!r}")
        return self.writer.insert(
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
                update_id,
            ),
        )

    def audit(
        self, actor_id: int | None, action: str, ticket_id: int | None = None, detail: str = ""
    ) -> None:
        self.writer.execute(
            "INSERT INTO audit (actor_id, action, ticket_id, detail, created_at) VALUES (?, ?, ?, ?, ?)",
            (actor_id, action, ticket_id, redact(detail), time.time()),
        )

    def forget_user(self, user_id: int) -> dict:
        """Delete a citizen's messages, feedback, tickets' texts and profile (for /forget)."""
        with self.writer.transaction() as db:
            counts = {}
            for table in ("messages", "feedback"):
                counts[table] = db.execute(f"DELETE FROM {table} WHERE user_id = ?", [user_id]).rowcount
            ticket_ids = [r[0] for r in db.execute("SELECT id FROM tickets WHERE user_id = ?", [user_id])]
            marks = ",".join("?" * len(ticket_ids))
            if ticket_ids:
                db.execute(f"DELETE FROM relay WHERE ticket_id IN ({marks})", ticket_ids)
                db.execute(f"DELETE FROM kb_drafts WHERE ticket_id IN ({marks})", ticket_ids)
            counts["tickets"] = db.execute("DELETE FROM tickets WHERE user_id = ?", [user_id]).rowcount
            counts["users"] = db.execute("DELETE FROM users WHERE user_id = ?", [user_id]).rowcount
            db.execute("DELETE FROM chat_context WHERE user_id = ?", [user_id])
            db.execute("DELETE FROM audit WHERE actor_id = ?", [user_id])
        return counts

    def backup(self, target: Path | str) -> dict:
        """An online copy (SQLite's backup API: consistent while the bot writes), then checked."""
        target = Path(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        with self.writer.lock:
            destination = sqlite3.connect(target)
            try:
                self.db.conn.backup(destination)
                check = destination.execute("PRAGMA integrity_check").fetchone()[0]
                counts = {
                    t: destination.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                    for t in ("users", "messages", "tickets", "staff")
                }
            finally:
                destination.close()
        os.chmod(target, 0o600)
        return {"integrity": check, **counts}

    def purge_older_than(self, days: int) -> int:
        """Delete transcripts older than the retention period; returns how many went."""
        cutoff = time.time() - days * 86400
        with self.writer.transaction() as db:
            cursor = db.execute("DELETE FROM messages WHERE created_at < ?", [cutoff])
            # Handled updates' ids are only needed to spot a redelivery, which comes within hours.
            db.execute("DELETE FROM inbox WHERE state IN ('done', 'failed') AND received_at < ?", [cutoff])
            db.execute("DELETE FROM chat_context WHERE updated_at < ?", [cutoff])
            # A console session is worth nothing once expired, whatever the retention period.
            db.execute("DELETE FROM staff_sessions WHERE expires_at < ?", [time.time()])
            return cursor.rowcount

    # chat context ----------------------------------------------------------------------------
    def save_chat_context(self, chat_id: int, user_id: int, context: dict[str, Any]) -> None:
        self.writer.execute(
            """INSERT INTO chat_context (chat_id, user_id, context, updated_at) VALUES (?, ?, ?, ?)
               ON CONFLICT(chat_id) DO UPDATE SET context = excluded.context,
                   user_id = excluded.user_id, updated_at = excluded.updated_at""",
            (chat_id, user_id, json.dumps(context, ensure_ascii=False), time.time()),
        )

    def clear_chat_context(self, chat_id: int) -> None:
        self.writer.execute("DELETE FROM chat_context WHERE chat_id = ?", (chat_id,))

    # feedback --------------------------------------------------------------------------------
    def add_feedback(
        self, user_id: int, message_id: int | None, topic: str | None, lang: str | None, helpful: bool
    ) -> bool:
        """Record 👍/👎 once per answer; a second press changes the vote. True if stored."""
        self.writer.execute(
            """INSERT INTO feedback (user_id, message_id, topic, lang, helpful, created_at)
                       VALUES (?, ?, ?, ?, ?, ?)
                       ON CONFLICT(user_id, message_id) DO UPDATE SET helpful = excluded.helpful""",
            (user_id, message_id, topic, lang, int(helpful), time.time()),
        )
        return True

    # inbox ---------------------------------------------------------------------------------------
    def record_update(self, update_id: int, payload: dict[str, Any]) -> bool:
        with self.writer.transaction() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO inbox (update_id, state, payload, received_at) "
                "VALUES (?, 'received', ?, ?)",
                [update_id, json.dumps(payload, ensure_ascii=False), time.time()],
            )
            return cursor.rowcount == 1

    def claim_update(self, update_id: int, owner: str = "", lease_seconds: float = 300.0) -> bool:
        now = time.time()
        with self.writer.transaction() as db:
            # One UPDATE decides: the write lock is taken before anything is read, so two
            # processes can never both see the update free.
            row = db.execute(
                "UPDATE inbox SET state = 'handling', attempts = attempts + 1, owner = ?, lease_until = ? "
                "WHERE update_id = ? AND (state = 'received' "
                "OR (state = 'handling' AND COALESCE(lease_until, 0) < ?)) "
                "RETURNING attempts",
                [owner, now + lease_seconds, update_id, now],
            ).fetchone()
            if row is None:
                return False
            if row[0] > 1:
                db.execute("DELETE FROM messages WHERE update_id = ?", [update_id])
            return True

    def renew_claims(self, owner: str, lease_seconds: float) -> int:
        with self.writer.transaction() as db:
            return db.execute(
                "UPDATE inbox SET lease_until = ? WHERE owner = ? AND state = 'handling'",
                [time.time() + lease_seconds, owner],
            ).rowcount

    def finish_update(self, update_id: int, failed: bool = False) -> None:
        self.writer.execute(
            "UPDATE inbox SET state = ?, payload = NULL, done_at = ?, owner = NULL, lease_until = NULL "
            "WHERE update_id = ?",
            ("failed" if failed else "done", time.time(), update_id),
        )

    def release_update(self, update_id: int) -> None:
        self.writer.execute(
            "UPDATE inbox SET state = 'received', owner = NULL, lease_until = NULL "
            "WHERE update_id = ? AND state = 'handling'",
            (update_id,),
        )

    def recover_updates(
        self, max_attempts: int, stale_after: float | None = None
    ) -> tuple[list[dict[str, Any]], list[int]]:
        now = time.time()
        # What counts as left behind: every claim at a lone process's start, else expired leases.
        abandoned = "state = 'handling'" + (
            "" if stale_after is None else " AND COALESCE(lease_until, 0) < :now"
        )
        received_before = now if stale_after is None else now - stale_after
        with self.writer.transaction() as db:
            given_up = sorted(
                r[0]
                for r in db.execute(
                    f"UPDATE inbox SET state = 'failed', payload = NULL, done_at = :now, owner = NULL, "
                    f"lease_until = NULL WHERE {abandoned} AND attempts >= :max RETURNING update_id",
                    {"now": now, "max": max_attempts},
                ).fetchall()
            )
            taken_back = [
                r[0]
                for r in db.execute(
                    f"UPDATE inbox SET state = 'received', owner = NULL, lease_until = NULL "
                    f"WHERE {abandoned} RETURNING update_id",
                    {"now": now},
                ).fetchall()
            ]
            marks = ",".join("?" * len(taken_back))
            replay = [
                json.loads(r[0])
                for r in db.execute(
                    "SELECT payload FROM inbox WHERE state = 'received' AND (received_at <= ?"
                    + (f" OR update_id IN ({marks})" if taken_back else "")
                    + ") ORDER BY update_id",
                    [received_before, *taken_back],
                )
            ]
        return replay, given_up

    # published versions ----------------------------------------------------------------------
    def publish_version(self, version: str) -> None:
        self.writer.execute(
            """INSERT INTO published (name, value, updated_at) VALUES ('index', ?, ?)
               ON CONFLICT(name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at""",
            (version, time.time()),
        )


# Existing code and tests say `Store` for the SQLite store; new code types against bot.storage.base.Store.
Store = SqliteStore

if TYPE_CHECKING:  # mypy: the SQLite store has every method of the protocol, with the same types
    _conforms: base.Store = SqliteStore(":memory:")
