"""The PostgreSQL store's durable inbox, shared by several workers.

An update is claimed by one conditional ``UPDATE … RETURNING``: PostgreSQL re-checks the condition
against the row's newest committed version after any concurrent writer, so of any number of
claimants exactly one sees ``received`` (or an expired lease) and wins. The claim is a lease
(``owner``, ``lease_until`` on the database's clock) that the worker renews while it is alive; a
killed worker's leases run out and ``recover_updates(stale_after=…)`` or a later claim takes them
over. Recovery locks the rows it hands out with ``FOR UPDATE SKIP LOCKED``, so two workers
recovering at once never replay the same update (and never wait on each other).
"""

from __future__ import annotations

from typing import Any

from psycopg.types.json import Jsonb

from bot.storage.postgres_tickets import PostgresTicketRows

# An update not claimed this long after it arrived was left by a worker that died before claiming.
DEFAULT_LEASE_SECONDS = 300.0


class PostgresInbox(PostgresTicketRows):
    def record_update(self, update_id: int, payload: dict[str, Any]) -> bool:
        row = self._one(
            "INSERT INTO inbox (update_id, state, payload, received_at) "
            "VALUES (%s, 'received', %s, helpdesk_now()) "
            "ON CONFLICT (update_id) DO NOTHING RETURNING update_id",
            (update_id, Jsonb(payload)),
        )
        return row is not None

    def claim_update(
        self, update_id: int, owner: str = "", lease_seconds: float = DEFAULT_LEASE_SECONDS
    ) -> bool:
        with self.pool.connection() as conn:
            row = conn.execute(
                "UPDATE inbox SET state = 'handling', owner = %s, lease_until = helpdesk_now() + %s, "
                "attempts = attempts + 1 WHERE update_id = %s AND (state = 'received' OR "
                "(state = 'handling' AND lease_until < helpdesk_now())) RETURNING attempts",
                (owner, lease_seconds, update_id),
            ).fetchone()
            if row is None:
                return False
            if row["attempts"] > 1:  # a replay: its interrupted run's transcript rows go
                conn.execute("DELETE FROM messages WHERE update_id = %s", (update_id,))
            return True

    def renew_claims(self, owner: str, lease_seconds: float) -> int:
        return self._execute(
            "UPDATE inbox SET lease_until = helpdesk_now() + %s WHERE owner = %s AND state = 'handling'",
            (lease_seconds, owner),
        )

    def finish_update(self, update_id: int, failed: bool = False) -> None:
        self._execute(
            "UPDATE inbox SET state = %s, payload = NULL, done_at = helpdesk_now(), owner = NULL, "
            "lease_until = NULL WHERE update_id = %s",
            ("failed" if failed else "done", update_id),
        )

    def release_update(self, update_id: int) -> None:
        self._execute(
            "UPDATE inbox SET state = 'received', owner = NULL, lease_until = NULL "
            "WHERE update_id = %s AND state = 'handling'",
            (update_id,),
        )

    def recover_updates(
        self, max_attempts: int, stale_after: float | None = None
    ) -> tuple[list[dict[str, Any]], list[int]]:
        """``stale_after`` None: one process starting, everything unfinished is its own to replay.
        A number: only what a dead worker left — ``received`` for longer than that, ``handling``
        with its lease run out."""
        if stale_after is None:
            where, params = "state IN ('received', 'handling')", []
        else:
            where = (
                "((state = 'received' AND received_at < helpdesk_now() - %s) OR "
                "(state = 'handling' AND lease_until < helpdesk_now()))"
            )
            params = [stale_after]
        with self.pool.connection() as conn:
            rows = conn.execute(
                f"SELECT update_id, state, attempts, payload FROM inbox WHERE {where} "
                "ORDER BY update_id FOR UPDATE SKIP LOCKED",
                params,
            ).fetchall()
            interrupted = [r for r in rows if r["state"] == "handling"]
            given_up = [r["update_id"] for r in interrupted if r["attempts"] >= max_attempts]
            conn.execute(
                "UPDATE inbox SET state = 'failed', payload = NULL, done_at = helpdesk_now(), owner = NULL, "
                "lease_until = NULL WHERE update_id = ANY(%s)",
                (given_up,),
            )
            back = [r["update_id"] for r in interrupted if r["attempts"] < max_attempts]
            conn.execute(
                "UPDATE inbox SET state = 'received', owner = NULL, lease_until = NULL "
                "WHERE update_id = ANY(%s)",
                (back,),
            )
        set_aside = set(given_up)
        return [r["payload"] for r in rows if r["update_id"] not in set_aside], given_up

    # published versions (bot/ops/reload.py: every worker follows the last reload) ------------------
    def published_version(self) -> str | None:
        row = self._one("SELECT value FROM published WHERE name = 'index'", ())
        return None if row is None else str(row["value"])

    def publish_version(self, version: str) -> None:
        self._execute(
            "INSERT INTO published (name, value, updated_at) VALUES ('index', %s, helpdesk_now()) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            (version,),
        )
