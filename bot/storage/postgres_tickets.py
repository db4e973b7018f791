"""The PostgreSQL store's tickets, relay outbox and operators' drafts (the state rules are
bot.cases.tickets'; here is only what gets written).

Where SQLite relied on its one writer, a transaction or a single conditional statement does the
work: a relay is leased by one ``UPDATE … WHERE state … RETURNING``, which PostgreSQL runs against
the row's latest committed version, so of any number of senders exactly one gets it.
"""

from __future__ import annotations

from psycopg.types.json import Jsonb

from bot.cases.model import Relay, TicketRequest
from bot.redact import redact
from bot.storage.postgres_reads import PostgresReads, relay_from_row


class PostgresTicketRows(PostgresReads):
    # tickets -------------------------------------------------------------------------------------
    def replace_consent_request(self, request: TicketRequest) -> int:
        with self.pool.connection() as conn:
            # Two of one citizen's requests at once (two workers) would each decline the other's
            # older rows and both stay waiting; the citizen's lock orders them.
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (request.user_id,))
            conn.execute(
                "UPDATE tickets SET state = 'declined' WHERE user_id = %s AND state = 'consent'",
                (request.user_id,),
            )
            row = conn.execute(
                """INSERT INTO tickets (user_id, chat_id, first_name, lang, sector, reason, question,
                                        candidates, confidence, state, created_at)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, 'consent', helpdesk_now()) RETURNING id""",
                (
                    request.user_id,
                    request.chat_id,
                    (request.first_name or "")[:64],
                    request.lang,
                    request.sector,
                    request.reason,
                    redact(request.question),
                    Jsonb(list(request.candidates[:3])),
                    request.confidence,
                ),
            ).fetchone()
            assert row is not None  # INSERT … RETURNING gives its row
            return int(row["id"])

    def open_ticket(self, ticket_id: int) -> None:
        self._execute(
            "UPDATE tickets SET state = 'open', opened_at = helpdesk_now() WHERE id = %s", (ticket_id,)
        )

    def decline_ticket(self, ticket_id: int, user_id: int) -> None:
        self._execute(
            "UPDATE tickets SET state = 'declined' WHERE id = %s AND user_id = %s AND state = 'consent'",
            (ticket_id, user_id),
        )

    def set_ticket_topic(self, ticket_id: int, thread_id: int | None, card_message_id: int | None) -> None:
        self._execute(
            "UPDATE tickets SET thread_id = %s, card_message_id = %s WHERE id = %s",
            (thread_id, card_message_id, ticket_id),
        )

    def claim_ticket(
        self, ticket_id: int, operator_id: int, operator_name: str, held_by: int | None = None
    ) -> bool:
        touched = self._execute(
            "UPDATE tickets SET state = 'claimed', operator_id = %s, operator_name = %s, "
            "claimed_at = COALESCE(claimed_at, helpdesk_now()) "
            "WHERE id = %s AND state IN ('open', 'claimed') AND operator_id IS NOT DISTINCT FROM %s::bigint",
            (operator_id, operator_name[:64], ticket_id, held_by),
        )
        return touched == 1

    def release_ticket(self, ticket_id: int) -> None:
        self._execute(
            "UPDATE tickets SET state = 'open', operator_id = NULL, operator_name = NULL WHERE id = %s",
            (ticket_id,),
        )

    def close_ticket(self, ticket_id: int) -> None:
        self._execute(
            "UPDATE tickets SET state = 'closed', closed_at = helpdesk_now() WHERE id = %s", (ticket_id,)
        )

    def reopen_ticket(self, ticket_id: int) -> None:
        self._execute(
            "UPDATE tickets SET state = 'open', operator_id = NULL, operator_name = NULL, "
            "closed_at = NULL, reminded_at = NULL WHERE id = %s",
            (ticket_id,),
        )

    def rate_ticket(self, ticket_id: int, rating: int) -> None:
        self._execute("UPDATE tickets SET rating = %s WHERE id = %s", (rating, ticket_id))

    def mark_ticket_reminded(self, ticket_id: int) -> None:
        self._execute("UPDATE tickets SET reminded_at = helpdesk_now() WHERE id = %s", (ticket_id,))

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
        row = self._one(
            """INSERT INTO relay (ticket_id, direction, from_chat_id, message_id, sender_id, text,
                                  state, created_at)
               VALUES (%s, %s, %s, %s, %s, %s, 'pending', helpdesk_now())
               ON CONFLICT (from_chat_id, message_id) DO NOTHING RETURNING id""",
            (ticket_id, direction, from_chat_id, message_id, sender_id, redact(text) if text else None),
        )
        return int(row["id"]) if row else None

    def lease_relay(self, relay_id: int, seconds: float) -> Relay | None:
        row = self._one(
            "UPDATE relay SET state = 'sending', lease_until = helpdesk_now() + %s WHERE id = %s AND "
            "(state = 'pending' OR (state = 'sending' AND lease_until < helpdesk_now())) RETURNING *",
            (seconds, relay_id),
        )
        return relay_from_row(row) if row else None

    def relay_sent(self, relay_id: int, copied_message_id: int | None) -> None:
        self._execute(
            "UPDATE relay SET state = 'sent', copied_message_id = %s, sent_at = helpdesk_now(), "
            "attempts = attempts + 1 WHERE id = %s",
            (copied_message_id, relay_id),
        )

    def relay_failed(self, relay_id: int, error: str, give_up_after: int) -> None:
        # Every SET expression sees the row as it was, so ``attempts + 1`` is the new count in both.
        self._execute(
            "UPDATE relay SET attempts = attempts + 1, last_error = %s, "
            "state = CASE WHEN attempts + 1 >= %s THEN 'failed' ELSE 'pending' END WHERE id = %s",
            (error[:300], give_up_after, relay_id),
        )

    def add_draft(self, ticket_id: int, operator_id: int, lang: str, question: str, answer: str) -> int:
        row = self._one(
            "INSERT INTO kb_drafts (ticket_id, operator_id, lang, question, answer, created_at) "
            "VALUES (%s, %s, %s, %s, %s, helpdesk_now()) RETURNING id",
            (ticket_id, operator_id, lang, redact(question), redact(answer)),
        )
        assert row is not None  # INSERT … RETURNING gives its row
        return int(row["id"])
