"""Tickets and relayed messages in SQLite: the operators' side of the store.

A ticket goes consent → open → claimed → closed (or consent → declined). Relayed messages are an
outbox: written ``pending`` first, marked ``sent`` once Telegram accepted them, so a failed or
interrupted send is retried, never lost.
"""

from __future__ import annotations

import json
import statistics
import time
from typing import cast

from bot.redact import redact
from bot.storage.sqlite import Store

ACTIVE = ("open", "claimed")


class TicketError(RuntimeError):
    """An operator action that does not fit the ticket's state (said back to the operator)."""


class Tickets:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.db = store.db

    def _one(self, sql: str, params: list) -> dict | None:
        rows = list(self.db.query(sql, params))
        return rows[0] if rows else None

    # lifecycle ---------------------------------------------------------------------------------
    def request(
        self,
        user_id: int,
        chat_id: int,
        first_name: str | None,
        lang: str,
        sector: str | None,
        reason: str,
        question: str,
        candidates: list[dict],
        confidence: float | None,
    ) -> int:
        """A handoff waiting for the citizen's consent (an older unanswered request is replaced)."""
        self.store._write(
            "UPDATE tickets SET state = 'declined' WHERE user_id = ? AND state = 'consent'", (user_id,)
        )
        return self.store._insert(
            """INSERT INTO tickets (user_id, chat_id, first_name, lang, sector, reason, question,
                                    candidates, confidence, state, created_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'consent', ?)""",
            (
                user_id,
                chat_id,
                (first_name or "")[:64],
                lang,
                sector,
                reason,
                redact(question),
                json.dumps(candidates[:3]),
                confidence,
                time.time(),
            ),
        )

    def get(self, ticket_id: int) -> dict | None:
        return self._one("SELECT * FROM tickets WHERE id = ?", [ticket_id])

    def _reread(self, ticket_id: int) -> dict:
        """A ticket just checked and updated, as it is now."""
        return cast(dict, self.get(ticket_id))

    def active_for(self, user_id: int) -> dict | None:
        return self._one(
            "SELECT * FROM tickets WHERE user_id = ? AND state IN ('open', 'claimed') "
            "ORDER BY id DESC LIMIT 1",
            [user_id],
        )

    def by_thread(self, thread_id: int) -> dict | None:
        return self._one("SELECT * FROM tickets WHERE thread_id = ? ORDER BY id DESC LIMIT 1", [thread_id])

    def by_operator_message(self, message_id: int) -> dict | None:
        """Reply-based mode: the ticket whose card or relayed message an operator replied to."""
        row = self._one(
            "SELECT ticket_id FROM relay WHERE direction = 'to_operators' AND "
            "copied_message_id = ? ORDER BY id DESC LIMIT 1",
            [message_id],
        )
        if row:
            return self.get(row["ticket_id"])
        return self._one(
            "SELECT * FROM tickets WHERE card_message_id = ? ORDER BY id DESC LIMIT 1", [message_id]
        )

    def open(self, ticket_id: int, user_id: int) -> dict:
        ticket = self.get(ticket_id)
        if ticket is None or ticket["user_id"] != user_id or ticket["state"] != "consent":
            raise TicketError("no such request waiting for consent")
        self.store._write(
            "UPDATE tickets SET state = 'open', opened_at = ? WHERE id = ?", (time.time(), ticket_id)
        )
        return self._reread(ticket_id)

    def decline(self, ticket_id: int, user_id: int) -> None:
        self.store._write(
            "UPDATE tickets SET state = 'declined' WHERE id = ? AND user_id = ? AND state = 'consent'",
            (ticket_id, user_id),
        )

    def set_topic(self, ticket_id: int, thread_id: int | None, card_message_id: int | None) -> None:
        self.store._write(
            "UPDATE tickets SET thread_id = ?, card_message_id = ? WHERE id = ?",
            (thread_id, card_message_id, ticket_id),
        )

    def claim(self, ticket_id: int, operator_id: int, operator_name: str, force: bool = False) -> dict:
        ticket = self.get(ticket_id)
        if ticket is None or ticket["state"] not in ACTIVE:
            raise TicketError("the ticket is not open")
        if ticket["state"] == "claimed" and ticket["operator_id"] != operator_id and not force:
            raise TicketError(f"already taken by {ticket['operator_name']}")
        self.store._write(
            "UPDATE tickets SET state = 'claimed', operator_id = ?, operator_name = ?, "
            "claimed_at = COALESCE(claimed_at, ?) WHERE id = ?",
            (operator_id, operator_name[:64], time.time(), ticket_id),
        )
        return self._reread(ticket_id)

    def release(self, ticket_id: int, operator_id: int) -> None:
        ticket = self.get(ticket_id)
        if ticket is None or ticket["state"] != "claimed" or ticket["operator_id"] != operator_id:
            raise TicketError("you have not taken this ticket")
        self.store._write(
            "UPDATE tickets SET state = 'open', operator_id = NULL, operator_name = NULL WHERE id = ?",
            (ticket_id,),
        )

    def close(self, ticket_id: int) -> dict:
        ticket = self.get(ticket_id)
        if ticket is None or ticket["state"] not in ACTIVE:
            raise TicketError("the ticket is not open")
        self.store._write(
            "UPDATE tickets SET state = 'closed', closed_at = ? WHERE id = ?", (time.time(), ticket_id)
        )
        return self._reread(ticket_id)

    def reopen(self, ticket_id: int, user_id: int) -> dict:
        ticket = self.get(ticket_id)
        if ticket is None or ticket["user_id"] != user_id or ticket["state"] != "closed":
            raise TicketError("no closed ticket to reopen")
        self.store._write(
            "UPDATE tickets SET state = 'open', operator_id = NULL, operator_name = NULL, "
            "closed_at = NULL, reminded_at = NULL WHERE id = ?",
            (ticket_id,),
        )
        return self._reread(ticket_id)

    def rate(self, ticket_id: int, user_id: int, rating: int) -> bool:
        if not 1 <= rating <= 5:
            return False
        ticket = self.get(ticket_id)
        if ticket is None or ticket["user_id"] != user_id or ticket["state"] != "closed":
            return False
        self.store._write("UPDATE tickets SET rating = ? WHERE id = ?", (rating, ticket_id))
        return True

    def mark_reminded(self, ticket_id: int) -> None:
        self.store._write("UPDATE tickets SET reminded_at = ? WHERE id = ?", (time.time(), ticket_id))

    def unclaimed_older_than(self, seconds: float) -> list[dict]:
        return list(
            self.db.query(
                "SELECT * FROM tickets WHERE state = 'open' AND reminded_at IS NULL AND opened_at < ?",
                [time.time() - seconds],
            )
        )

    # queue ---------------------------------------------------------------------------------------
    def queue_position(self, ticket_id: int) -> int:
        row = self._one("SELECT COUNT(*) AS n FROM tickets WHERE state = 'open' AND id <= ?", [ticket_id])
        return max(1, cast(dict, row)["n"])  # COUNT(*) always gives one row

    def median_wait_seconds(self, default: float, last: int = 20) -> float:
        """How long the last claimed tickets waited for an operator (default until there are 3)."""
        rows = list(
            self.db.query(
                "SELECT claimed_at - opened_at AS wait FROM tickets WHERE claimed_at "
                "IS NOT NULL AND opened_at IS NOT NULL ORDER BY id DESC LIMIT ?",
                [last],
            )
        )
        waits = [r["wait"] for r in rows if r["wait"] is not None and r["wait"] >= 0]
        return statistics.median(waits) if len(waits) >= 3 else default

    def all(self, states: tuple[str, ...] = ("open", "claimed", "closed")) -> list[dict]:
        marks = ",".join("?" * len(states))
        return list(
            self.db.query(f"SELECT * FROM tickets WHERE state IN ({marks}) ORDER BY id", list(states))
        )

    # relay outbox --------------------------------------------------------------------------------
    def queue_relay(
        self,
        ticket_id: int,
        direction: str,
        from_chat_id: int,
        message_id: int,
        sender_id: int | None,
        text: str | None,
    ) -> int | None:
        """Add a message to relay; None if it is already queued (the same update twice)."""
        with self.store._lock, self.db.conn:
            cursor = self.db.execute(
                """INSERT OR IGNORE INTO relay (ticket_id, direction, from_chat_id, message_id, sender_id,
                                                text, state, created_at)
                   VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)""",
                [
                    ticket_id,
                    direction,
                    from_chat_id,
                    message_id,
                    sender_id,
                    redact(text) if text else None,
                    time.time(),
                ],
            )
            return cursor.lastrowid if cursor.rowcount == 1 else None

    def lease_relay(self, relay_id: int, seconds: float = 60.0) -> dict | None:
        """Take a pending relay for sending (None if someone else has it or it is done)."""
        now = time.time()
        with self.store._lock, self.db.conn:
            cursor = self.db.execute(
                "UPDATE relay SET state = 'sending', lease_until = ? WHERE id = ? AND "
                "(state = 'pending' OR (state = 'sending' AND lease_until < ?))",
                [now + seconds, relay_id, now],
            )
            if cursor.rowcount != 1:
                return None
        return self._one("SELECT * FROM relay WHERE id = ?", [relay_id])

    def relay_sent(self, relay_id: int, copied_message_id: int | None) -> None:
        self.store._write(
            "UPDATE relay SET state = 'sent', copied_message_id = ?, sent_at = ?, "
            "attempts = attempts + 1 WHERE id = ?",
            (copied_message_id, time.time(), relay_id),
        )

    def relay_failed(self, relay_id: int, error: str, give_up_after: int) -> None:
        self.store._write(
            "UPDATE relay SET attempts = attempts + 1, last_error = ?, "
            "state = CASE WHEN attempts + 1 >= ? THEN 'failed' ELSE 'pending' END "
            "WHERE id = ?",
            (error[:300], give_up_after, relay_id),
        )

    def pending_relays(self) -> list[dict]:
        """Waiting to be sent, or leased by a sender that never finished (a crash)."""
        return list(
            self.db.query(
                "SELECT * FROM relay WHERE state = 'pending' OR "
                "(state = 'sending' AND lease_until < ?) ORDER BY id",
                [time.time()],
            )
        )

    def relays(self, ticket_id: int) -> list[dict]:
        return list(self.db.query("SELECT * FROM relay WHERE ticket_id = ? ORDER BY id", [ticket_id]))

    def last_operator_reply(self, ticket_id: int) -> dict | None:
        return self._one(
            "SELECT * FROM relay WHERE ticket_id = ? AND direction = 'to_citizen' AND "
            "text IS NOT NULL ORDER BY id DESC LIMIT 1",
            [ticket_id],
        )

    def add_draft(self, ticket: dict, operator_id: int, answer: str) -> int:
        return self.store._insert(
            "INSERT INTO kb_drafts (ticket_id, operator_id, lang, question, answer, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (ticket["id"], operator_id, ticket["lang"], ticket["question"], redact(answer), time.time()),
        )

    def drafts(self) -> list[dict]:
        return list(self.db.query("SELECT * FROM kb_drafts ORDER BY id"))
