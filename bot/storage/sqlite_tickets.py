"""The SQLite store's tickets, relay outbox and operators' drafts: the rows bot.cases.tickets
decides about (the state rules are there; here is only what gets written)."""

from __future__ import annotations

import json
import time
from typing import cast

from bot.cases.model import Relay, TicketRequest
from bot.redact import redact
from bot.storage.queries import SqliteReads
from bot.storage.writer import Writer


class SqliteTicketRows(SqliteReads):
    """Writes of tickets, relay and kb_drafts, through the store's one :class:`Writer`."""

    writer: Writer

    # tickets -------------------------------------------------------------------------------------
    def replace_consent_request(self, request: TicketRequest) -> int:
        # One transaction: a failed insert must not leave the citizen's older request declined.
        with self.writer.transaction() as db:
            db.execute(
                "UPDATE tickets SET state = 'declined' WHERE user_id = ? AND state = 'consent'",
                [request.user_id],
            )
            cursor = db.execute(
                """INSERT INTO tickets (user_id, chat_id, first_name, lang, sector, reason, question,
                                        candidates, confidence, state, created_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'consent', ?)""",
                [
                    request.user_id,
                    request.chat_id,
                    (request.first_name or "")[:64],
                    request.lang,
                    request.sector,
                    request.reason,
                    redact(request.question),
                    json.dumps(list(request.candidates[:3])),
                    request.confidence,
                    time.time(),
                ],
            )
            return cast(int, cursor.lastrowid)  # sqlite3 sets it after every INSERT

    def open_ticket(self, ticket_id: int) -> None:
        self.writer.execute(
            "UPDATE tickets SET state = 'open', opened_at = ? WHERE id = ?", (time.time(), ticket_id)
        )

    def decline_ticket(self, ticket_id: int, user_id: int) -> None:
        self.writer.execute(
            "UPDATE tickets SET state = 'declined' WHERE id = ? AND user_id = ? AND state = 'consent'",
            (ticket_id, user_id),
        )

    def set_ticket_topic(self, ticket_id: int, thread_id: int | None, card_message_id: int | None) -> None:
        self.writer.execute(
            "UPDATE tickets SET thread_id = ?, card_message_id = ? WHERE id = ?",
            (thread_id, card_message_id, ticket_id),
        )

    def claim_ticket(
        self, ticket_id: int, operator_id: int, operator_name: str, held_by: int | None = None
    ) -> bool:
        with self.writer.transaction() as db:
            cursor = db.execute(
                "UPDATE tickets SET state = 'claimed', operator_id = ?, operator_name = ?, "
                "claimed_at = COALESCE(claimed_at, ?) "
                "WHERE id = ? AND state IN ('open', 'claimed') AND operator_id IS ?",
                (operator_id, operator_name[:64], time.time(), ticket_id, held_by),
            )
            return cursor.rowcount == 1

    def release_ticket(self, ticket_id: int) -> None:
        self.writer.execute(
            "UPDATE tickets SET state = 'open', operator_id = NULL, operator_name = NULL WHERE id = ?",
            (ticket_id,),
        )

    def close_ticket(self, ticket_id: int) -> None:
        self.writer.execute(
            "UPDATE tickets SET state = 'closed', closed_at = ? WHERE id = ?", (time.time(), ticket_id)
        )

    def reopen_ticket(self, ticket_id: int) -> None:
        self.writer.execute(
            "UPDATE tickets SET state = 'open', operator_id = NULL, operator_name = NULL, "
            "closed_at = NULL, reminded_at = NULL WHERE id = ?",
            (ticket_id,),
        )

    def rate_ticket(self, ticket_id: int, rating: int) -> None:
        self.writer.execute("UPDATE tickets SET rating = ? WHERE id = ?", (rating, ticket_id))

    def mark_ticket_reminded(self, ticket_id: int) -> None:
        self.writer.execute("UPDATE tickets SET reminded_at = ? WHERE id = ?", (time.time(), ticket_id))

    # relay outbox, drafts ------------------------------------------------------------------------
    def queue_relay(
        self,
        ticket_id: int,
        direction: str,
        from_chat_id: int,
        message_id: int,
        sender_id: int | None,
        text: str | None,
    ) -> int | None:
        with self.writer.transaction() as db:
            cursor = db.execute(
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

    def lease_relay(self, relay_id: int, seconds: float) -> Relay | None:
        now = time.time()
        with self.writer.transaction() as db:
            cursor = db.execute(
                "UPDATE relay SET state = 'sending', lease_until = ? WHERE id = ? AND "
                "(state = 'pending' OR (state = 'sending' AND lease_until < ?))",
                [now + seconds, relay_id, now],
            )
            if cursor.rowcount != 1:
                return None
        return self.relay(relay_id)

    def relay_sent(self, relay_id: int, copied_message_id: int | None) -> None:
        self.writer.execute(
            "UPDATE relay SET state = 'sent', copied_message_id = ?, sent_at = ?, "
            "attempts = attempts + 1 WHERE id = ?",
            (copied_message_id, time.time(), relay_id),
        )

    def relay_failed(self, relay_id: int, error: str, give_up_after: int) -> None:
        self.writer.execute(
            "UPDATE relay SET attempts = attempts + 1, last_error = ?, "
            "state = CASE WHEN attempts + 1 >= ? THEN 'failed' ELSE 'pending' END "
            "WHERE id = ?",
            (error[:300], give_up_after, relay_id),
        )

    def add_draft(self, ticket_id: int, operator_id: int, lang: str, question: str, answer: str) -> int:
        return self.writer.insert(
            "INSERT INTO kb_drafts (ticket_id, operator_id, lang, question, answer, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (ticket_id, operator_id, lang, redact(question), redact(answer), time.time()),
        )
