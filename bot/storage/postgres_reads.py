"""The read side of the PostgreSQL store: every SELECT the bot, its reports and its metrics run.

The same queries as :mod:`bot.storage.queries` (SQLite), in PostgreSQL's dialect; rows come back as
dicts keyed by column name (psycopg's ``dict_row``), tickets, relays and drafts as the dataclasses
of :mod:`bot.cases.model`.
"""

from __future__ import annotations

from typing import Any

from psycopg import Connection
from psycopg.rows import DictRow
from psycopg_pool import ConnectionPool

from bot.cases.model import Draft, Relay, Ticket, relay_direction, relay_state, ticket_state


def ticket_from_row(row: dict) -> Ticket:
    """A ``tickets`` row as a :class:`Ticket` (candidates are JSONB: a list already)."""
    return Ticket(
        **{**row, "candidates": tuple(row["candidates"] or ()), "state": ticket_state(row["state"])}
    )


def relay_from_row(row: dict) -> Relay:
    return Relay(
        **{**row, "direction": relay_direction(row["direction"]), "state": relay_state(row["state"])}
    )


class PostgresRows:
    """The pool and the few helpers every part of the PostgreSQL store runs its SQL through."""

    pool: ConnectionPool[Connection[DictRow]]

    def _rows(self, sql: str, params: tuple | list = ()) -> list[dict]:
        with self.pool.connection() as conn:
            return list(conn.execute(sql, params).fetchall())

    def _one(self, sql: str, params: tuple | list = ()) -> dict | None:
        rows = self._rows(sql, params)
        return rows[0] if rows else None

    def _execute(self, sql: str, params: tuple | list = ()) -> int:
        """One statement in its own transaction; how many rows it touched."""
        with self.pool.connection() as conn:
            return conn.execute(sql, params).rowcount


class PostgresReads(PostgresRows):
    def ping(self) -> None:
        self._rows("SELECT 1")

    # citizens, transcript, feedback, audit -------------------------------------------------------
    def user(self, user_id: int) -> dict | None:
        return self._one("SELECT * FROM users WHERE user_id = %s", (user_id,))

    def language(self, user_id: int) -> str | None:
        user = self.user(user_id)
        return user["lang"] if user else None

    def messages(self, user_id: int) -> list[dict]:
        return self._rows("SELECT * FROM messages WHERE user_id = %s ORDER BY id", (user_id,))

    def chat_context(self, chat_id: int) -> tuple[dict[str, Any], float] | None:
        row = self._one("SELECT context, updated_at FROM chat_context WHERE chat_id = %s", (chat_id,))
        if row is None or not isinstance(row["context"], dict):
            return None
        return row["context"], float(row["updated_at"])

    def feedback(self) -> list[dict]:
        return self._rows("SELECT * FROM feedback ORDER BY id")

    def audit_log(self) -> list[dict]:
        return self._rows("SELECT * FROM audit ORDER BY id")

    def export_user(self, user_id: int) -> dict:
        """Everything kept about one citizen (for /mydata), read in one snapshot."""
        with self.pool.connection() as conn:
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")

            def rows(sql: str) -> list[dict]:
                return list(conn.execute(sql, (user_id,)).fetchall())

            users = rows("SELECT * FROM users WHERE user_id = %s")
            return {
                "user": users[0] if users else None,
                "messages": rows("SELECT * FROM messages WHERE user_id = %s ORDER BY id"),
                "feedback": rows("SELECT * FROM feedback WHERE user_id = %s ORDER BY id"),
                "tickets": rows(
                    "SELECT id, state, lang, sector, reason, question, rating, "
                    "created_at, closed_at FROM tickets WHERE user_id = %s ORDER BY id"
                ),
            }

    # tickets -------------------------------------------------------------------------------------
    def _ticket(self, sql: str, params: tuple) -> Ticket | None:
        row = self._one(sql, params)
        return ticket_from_row(row) if row else None

    def ticket(self, ticket_id: int) -> Ticket | None:
        return self._ticket("SELECT * FROM tickets WHERE id = %s", (ticket_id,))

    def active_ticket(self, user_id: int) -> Ticket | None:
        return self._ticket(
            "SELECT * FROM tickets WHERE user_id = %s AND state IN ('open', 'claimed') "
            "ORDER BY id DESC LIMIT 1",
            (user_id,),
        )

    def ticket_by_thread(self, thread_id: int) -> Ticket | None:
        return self._ticket(
            "SELECT * FROM tickets WHERE thread_id = %s ORDER BY id DESC LIMIT 1", (thread_id,)
        )

    def ticket_by_operator_message(self, message_id: int) -> Ticket | None:
        row = self._one(
            "SELECT ticket_id FROM relay WHERE direction = 'to_operators' AND "
            "copied_message_id = %s ORDER BY id DESC LIMIT 1",
            (message_id,),
        )
        if row:
            return self.ticket(row["ticket_id"])
        return self._ticket(
            "SELECT * FROM tickets WHERE card_message_id = %s ORDER BY id DESC LIMIT 1", (message_id,)
        )

    def tickets_in(self, states: tuple[str, ...]) -> list[Ticket]:
        rows = self._rows("SELECT * FROM tickets WHERE state = ANY(%s) ORDER BY id", (list(states),))
        return [ticket_from_row(r) for r in rows]

    def unclaimed_tickets(self, opened_before: float) -> list[Ticket]:
        rows = self._rows(
            "SELECT * FROM tickets WHERE state = 'open' AND reminded_at IS NULL AND opened_at < %s "
            "ORDER BY id",
            (opened_before,),
        )
        return [ticket_from_row(r) for r in rows]

    def open_tickets_up_to(self, ticket_id: int) -> int:
        row = self._one("SELECT COUNT(*) AS n FROM tickets WHERE state = 'open' AND id <= %s", (ticket_id,))
        return row["n"] if row else 0

    def active_ticket_count(self) -> int:
        row = self._one("SELECT COUNT(*) AS n FROM tickets WHERE state IN ('open', 'claimed')")
        return row["n"] if row else 0

    def recent_claim_waits(self, last: int) -> list[float]:
        rows = self._rows(
            "SELECT claimed_at - opened_at AS wait FROM tickets WHERE claimed_at IS NOT NULL "
            "AND opened_at IS NOT NULL ORDER BY id DESC LIMIT %s",
            (last,),
        )
        return [r["wait"] for r in rows if r["wait"] is not None]

    # relay outbox, drafts ------------------------------------------------------------------------
    def relay(self, relay_id: int) -> Relay | None:
        row = self._one("SELECT * FROM relay WHERE id = %s", (relay_id,))
        return relay_from_row(row) if row else None

    def pending_relays(self) -> list[Relay]:
        """Waiting to be sent, or leased by a sender that never finished (a crash)."""
        rows = self._rows(
            "SELECT * FROM relay WHERE state = 'pending' OR "
            "(state = 'sending' AND lease_until < helpdesk_now()) ORDER BY id"
        )
        return [relay_from_row(r) for r in rows]

    def relays(self, ticket_id: int) -> list[Relay]:
        rows = self._rows("SELECT * FROM relay WHERE ticket_id = %s ORDER BY id", (ticket_id,))
        return [relay_from_row(r) for r in rows]

    def last_operator_reply(self, ticket_id: int) -> Relay | None:
        row = self._one(
            "SELECT * FROM relay WHERE ticket_id = %s AND direction = 'to_citizen' AND "
            "text IS NOT NULL ORDER BY id DESC LIMIT 1",
            (ticket_id,),
        )
        return relay_from_row(row) if row else None

    def drafts(self) -> list[Draft]:
        return [Draft(**r) for r in self._rows("SELECT * FROM kb_drafts ORDER BY id")]

    # inbox ---------------------------------------------------------------------------------------
    def inbox_counts(self) -> dict[str, int]:
        rows = self._rows("SELECT state, COUNT(*) AS n FROM inbox GROUP BY state")
        return {r["state"]: r["n"] for r in rows}

    def update_state(self, update_id: int) -> str | None:
        row = self._one("SELECT state FROM inbox WHERE update_id = %s", (update_id,))
        return row["state"] if row else None

    # editors' reports ----------------------------------------------------------------------------
    def gap_messages(self, since: float) -> list[dict]:
        return self._rows(
            "SELECT * FROM messages WHERE direction = 'in' AND created_at >= %s AND "
            "(action IN ('handoff', 'clarify') OR intent = 'out_of_scope') "
            "AND action IS DISTINCT FROM 'relay' "
            "AND text NOT LIKE '/%%' AND text NOT LIKE '[button]%%' ORDER BY id",
            (since,),
        )

    def disliked_questions(self, since: float) -> list[dict]:
        return self._rows(
            """SELECT q.* FROM feedback f
               JOIN messages a ON a.id = f.message_id
               JOIN messages q ON q.id = (SELECT MAX(id) FROM messages
                                          WHERE user_id = a.user_id AND direction = 'in' AND id < a.id)
               WHERE f.helpful = 0 AND f.created_at >= %s ORDER BY f.id""",
            (since,),
        )

    def referred_services(self, since: float) -> list[tuple[str, int]]:
        rows = self._rows(
            "SELECT topic, COUNT(*) AS n FROM messages WHERE direction = 'in' AND action = 'refer' "
            "AND topic IS NOT NULL AND created_at >= %s GROUP BY topic ORDER BY n DESC, topic",
            (since,),
        )
        return [(r["topic"], r["n"]) for r in rows]

    def usage_messages(self, since: float) -> list[dict]:
        return self._rows(
            "SELECT created_at, action, topic, lang FROM messages WHERE direction = 'in' "
            "AND action IN ('answer', 'clarify', 'refer', 'handoff', 'smalltalk') AND created_at >= %s "
            "ORDER BY id",
            (since,),
        )

    def feedback_votes(self, since: float) -> list[dict]:
        return self._rows(
            "SELECT topic, lang, helpful, created_at FROM feedback WHERE created_at >= %s ORDER BY id",
            (since,),
        )
