"""PostgreSQL storage (``HELPDESK_DATABASE_URL=postgresql://…``), for several workers and machines.

* psycopg 3 through a ``psycopg_pool.ConnectionPool`` (``HELPDESK_DATABASE_POOL_SIZE`` connections
  at most per process); a connection is checked before it is lent, so a restarted server is
  reconnected to instead of failing the next call.
* Each method is one transaction (the pool's connection context commits on return, rolls back on an
  error). Where the SQLite store relied on its one writer, PostgreSQL's row locks do the work:
  claims and leases are single conditional UPDATEs (see postgres_inbox.py, postgres_tickets.py).
* Timestamps come from the database's clock (``helpdesk_now()``), one clock for every worker.
* The schema is yoyo migrations (``migrations/*.sql``), applied when the store opens.

Citizens' rows, the chat context and the citizen's rights are here; tickets and relays in
postgres_tickets.py, the inbox in postgres_inbox.py, staff accounts in postgres_staff.py, every read
in postgres_reads.py.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg.rows import DictRow, dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool, PoolTimeout

from bot.redact import redact
from bot.storage import base
from bot.storage.postgres_admin import VARIABLE, PostgresUnavailable, apply_migrations, describe, dump, where
from bot.storage.postgres_inbox import PostgresInbox
from bot.storage.postgres_staff import PostgresStaffRows

log = logging.getLogger(__name__)


class PostgresStore(PostgresInbox, PostgresStaffRows):
    """The helpdesk's database on a PostgreSQL server; safe to share between tasks, threads and
    processes (each process has its own pool)."""

    def __init__(self, url: str, pool_size: int = 10, connect_timeout: float = 10.0) -> None:
        try:
            psycopg.conninfo.conninfo_to_dict(url)
        except psycopg.Error as exc:
            raise PostgresUnavailable(f"{VARIABLE}: not a connection URL ({describe(exc, url)})") from None
        self._url = url
        try:  # one direct connection first: a refused one or a wrong password is said at once
            psycopg.connect(url, connect_timeout=max(1, int(connect_timeout))).close()
        except psycopg.Error as exc:
            raise PostgresUnavailable(f"{VARIABLE}: cannot use {where(url)} ({describe(exc, url)})") from None
        self.pool = ConnectionPool(
            url,
            connection_class=psycopg.Connection[DictRow],
            min_size=1,
            max_size=pool_size,
            kwargs={"row_factory": dict_row},
            check=ConnectionPool.check_connection,
            open=False,
            name="helpdesk",
        )
        try:
            self.pool.open(wait=True, timeout=connect_timeout)
            applied = apply_migrations(url)
        except (PoolTimeout, psycopg.Error) as exc:
            self.pool.close()
            reason = describe(exc, url) if isinstance(exc, psycopg.Error) else "no connection in time"
            raise PostgresUnavailable(f"{VARIABLE}: cannot use {where(url)} ({reason})") from None
        if applied:
            log.info("database migrations applied: %r", applied)

    def close(self) -> None:
        self.pool.close()

    # users -----------------------------------------------------------------------------------
    def touch_user(self, user_id: int, lang: str | None = None) -> None:
        self._execute(
            "INSERT INTO users (user_id, lang, created_at, last_seen_at) VALUES (%s, %s, helpdesk_now(), "
            "helpdesk_now()) ON CONFLICT (user_id) DO UPDATE SET last_seen_at = excluded.last_seen_at",
            (user_id, lang),
        )

    def set_language(self, user_id: int, lang: str) -> None:
        self._execute(
            "INSERT INTO users (user_id, lang, created_at, last_seen_at) VALUES (%s, %s, helpdesk_now(), "
            "helpdesk_now()) ON CONFLICT (user_id) DO UPDATE SET lang = excluded.lang, "
            "last_seen_at = excluded.last_seen_at",
            (user_id, lang),
        )

    def set_consent(self, user_id: int) -> None:
        self._execute(
            "INSERT INTO users (user_id, consent_at, created_at, last_seen_at) VALUES (%s, helpdesk_now(), "
            "helpdesk_now(), helpdesk_now()) ON CONFLICT (user_id) DO UPDATE SET "
            "consent_at = excluded.consent_at, last_seen_at = excluded.last_seen_at",
            (user_id,),
        )

    # messages, audit ---------------------------------------------------------------------------
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
        row = self._one(
            """INSERT INTO messages (user_id, chat_id, direction, text, lang, action, intent, topic,
                                     confidence, latency_ms, created_at, update_id)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, helpdesk_now(), %s) RETURNING id""",
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
                update_id,
            ),
        )
        assert row is not None  # INSERT … RETURNING gives its row
        return int(row["id"])

    def audit(
        self, actor_id: int | None, action: str, ticket_id: int | None = None, detail: str = ""
    ) -> None:
        self._execute(
            "INSERT INTO audit (actor_id, action, ticket_id, detail, created_at) "
            "VALUES (%s, %s, %s, %s, helpdesk_now())",
            (actor_id, action, ticket_id, redact(detail)),
        )

    def add_feedback(
        self, user_id: int, message_id: int | None, topic: str | None, lang: str | None, helpful: bool
    ) -> bool:
        """Record 👍/👎 once per answer; a second press changes the vote. True if stored."""
        self._execute(
            """INSERT INTO feedback (user_id, message_id, topic, lang, helpful, created_at)
               VALUES (%s, %s, %s, %s, %s, helpdesk_now())
               ON CONFLICT (user_id, message_id) DO UPDATE SET helpful = excluded.helpful""",
            (user_id, message_id, topic, lang, int(helpful)),
        )
        return True

    # chat context ----------------------------------------------------------------------------
    def save_chat_context(self, chat_id: int, user_id: int, context: dict[str, Any]) -> None:
        self._execute(
            """INSERT INTO chat_context (chat_id, user_id, context, updated_at)
               VALUES (%s, %s, %s, helpdesk_now())
               ON CONFLICT (chat_id) DO UPDATE SET context = excluded.context,
                   user_id = excluded.user_id, updated_at = excluded.updated_at""",
            (chat_id, user_id, Jsonb(context)),
        )

    def clear_chat_context(self, chat_id: int) -> None:
        self._execute("DELETE FROM chat_context WHERE chat_id = %s", (chat_id,))

    # a citizen's rights, retention, backup -------------------------------------------------------
    def forget_user(self, user_id: int) -> dict:
        """Delete a citizen's messages, feedback, tickets (with their relays and drafts), context,
        audit rows and profile, in one transaction (for /forget)."""
        with self.pool.connection() as conn:

            def delete(sql: str) -> int:
                return conn.execute(sql, (user_id,)).rowcount

            counts = {
                "messages": delete("DELETE FROM messages WHERE user_id = %s"),
                "feedback": delete("DELETE FROM feedback WHERE user_id = %s"),
            }
            mine = "SELECT id FROM tickets WHERE user_id = %s"
            delete(f"DELETE FROM relay WHERE ticket_id IN ({mine})")
            delete(f"DELETE FROM kb_drafts WHERE ticket_id IN ({mine})")
            counts["tickets"] = delete("DELETE FROM tickets WHERE user_id = %s")
            counts["users"] = delete("DELETE FROM users WHERE user_id = %s")
            delete("DELETE FROM chat_context WHERE user_id = %s")
            delete("DELETE FROM audit WHERE actor_id = %s")
        return counts

    def purge_older_than(self, days: int) -> int:
        """Delete transcripts older than the retention period; returns how many went."""
        with self.pool.connection() as conn:
            cutoff = "helpdesk_now() - %s"
            removed = conn.execute(
                f"DELETE FROM messages WHERE created_at < {cutoff}", (days * 86400,)
            ).rowcount
            conn.execute(
                f"DELETE FROM inbox WHERE state IN ('done', 'failed') AND received_at < {cutoff}",
                (days * 86400,),
            )
            conn.execute(f"DELETE FROM chat_context WHERE updated_at < {cutoff}", (days * 86400,))
            conn.execute("DELETE FROM staff_sessions WHERE expires_at < helpdesk_now()")
        return removed

    def backup(self, target: Path | str) -> dict:
        """A pg_dump (custom format) of the database while the bot runs, then checked; see
        :func:`bot.storage.postgres_admin.dump`."""
        return dump(self._url, Path(target))


if TYPE_CHECKING:  # mypy: the PostgreSQL store has every method of the protocol, with the same types
    _conforms: base.Store = PostgresStore("postgresql://localhost/helpdesk")
