"""Tickets and relayed messages: the operators' side of the helpdesk, and its state rules.

A ticket goes consent → open → claimed → closed (or consent → declined). Relayed messages are an
outbox: written ``pending`` first, marked ``sent`` once Telegram accepted them, so a failed or
interrupted send is retried, never lost. What each action may do is decided here; the rows are
written by the store (:class:`bot.storage.base.Store`).
"""

from __future__ import annotations

import statistics
import time
from typing import cast

from bot.cases.model import ACTIVE_STATES, Draft, Relay, Ticket, TicketRequest
from bot.storage.base import Store

# Re-exported: callers of the service get its values from one place.
__all__ = ["ACTIVE_STATES", "Draft", "Relay", "Ticket", "TicketError", "TicketRequest", "Tickets"]


class TicketError(RuntimeError):
    """An operator action that does not fit the ticket's state (said back to the operator)."""


class Tickets:
    def __init__(self, store: Store) -> None:
        self.store = store

    # lifecycle ---------------------------------------------------------------------------------
    def request(self, request: TicketRequest) -> int:
        """A handoff waiting for the citizen's consent (an older unanswered request is replaced)."""
        return self.store.replace_consent_request(request)

    def get(self, ticket_id: int) -> Ticket | None:
        return self.store.ticket(ticket_id)

    def _reread(self, ticket_id: int) -> Ticket:
        """A ticket just checked and updated, as it is now."""
        return cast(Ticket, self.get(ticket_id))

    def active_for(self, user_id: int) -> Ticket | None:
        return self.store.active_ticket(user_id)

    def by_thread(self, thread_id: int) -> Ticket | None:
        return self.store.ticket_by_thread(thread_id)

    def by_operator_message(self, message_id: int) -> Ticket | None:
        """Reply-based mode: the ticket whose card or relayed message an operator replied to."""
        return self.store.ticket_by_operator_message(message_id)

    def open(self, ticket_id: int, user_id: int) -> Ticket:
        ticket = self.get(ticket_id)
        if ticket is None or not ticket.belongs_to(user_id) or not ticket.awaits_consent:
            raise TicketError("no such request waiting for consent")
        self.store.open_ticket(ticket_id)
        return self._reread(ticket_id)

    def decline(self, ticket_id: int, user_id: int) -> None:
        """Only the citizen's own request still waiting for consent is declined."""
        self.store.decline_ticket(ticket_id, user_id)

    def set_topic(self, ticket_id: int, thread_id: int | None, card_message_id: int | None) -> None:
        self.store.set_ticket_topic(ticket_id, thread_id, card_message_id)

    def claim(self, ticket_id: int, operator_id: int, operator_name: str, force: bool = False) -> Ticket:
        ticket = self.get(ticket_id)
        if ticket is None or not ticket.is_active:
            raise TicketError("the ticket is not open")
        if not ticket.may_claim(operator_id, force):
            raise TicketError(f"already taken by {ticket.operator_name}")
        if not self.store.claim_ticket(ticket_id, operator_id, operator_name, held_by=ticket.operator_id):
            # Another operator (on this worker or another) took it between the read and the write.
            taken = self.get(ticket_id)
            raise TicketError(f"already taken by {taken.operator_name if taken else 'someone else'}")
        return self._reread(ticket_id)

    def release(self, ticket_id: int, operator_id: int) -> None:
        ticket = self.get(ticket_id)
        if ticket is None or not ticket.is_claimed_by(operator_id):
            raise TicketError("you have not taken this ticket")
        self.store.release_ticket(ticket_id)

    def close(self, ticket_id: int) -> Ticket:
        ticket = self.get(ticket_id)
        if ticket is None or not ticket.is_active:
            raise TicketError("the ticket is not open")
        self.store.close_ticket(ticket_id)
        return self._reread(ticket_id)

    def reopen(self, ticket_id: int, user_id: int) -> Ticket:
        ticket = self.get(ticket_id)
        if ticket is None or not ticket.belongs_to(user_id) or not ticket.is_closed:
            raise TicketError("no closed ticket to reopen")
        self.store.reopen_ticket(ticket_id)
        return self._reread(ticket_id)

    def rate(self, ticket_id: int, user_id: int, rating: int) -> bool:
        if not 1 <= rating <= 5:
            return False
        ticket = self.get(ticket_id)
        if ticket is None or not ticket.belongs_to(user_id) or not ticket.is_closed:
            return False
        self.store.rate_ticket(ticket_id, rating)
        return True

    def mark_reminded(self, ticket_id: int) -> None:
        self.store.mark_ticket_reminded(ticket_id)

    def unclaimed_older_than(self, seconds: float) -> list[Ticket]:
        return self.store.unclaimed_tickets(opened_before=time.time() - seconds)

    # queue ---------------------------------------------------------------------------------------
    def queue_position(self, ticket_id: int) -> int:
        return max(1, self.store.open_tickets_up_to(ticket_id))

    def median_wait_seconds(self, default: float, last: int = 20) -> float:
        """How long the last claimed tickets waited for an operator (default until there are 3)."""
        waits = [w for w in self.store.recent_claim_waits(last) if w >= 0]
        return statistics.median(waits) if len(waits) >= 3 else default

    def all(self, states: tuple[str, ...] = (*ACTIVE_STATES, "closed")) -> list[Ticket]:
        return self.store.tickets_in(states)

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
        return self.store.queue_relay(ticket_id, direction, from_chat_id, message_id, sender_id, text)

    def lease_relay(self, relay_id: int, seconds: float = 60.0) -> Relay | None:
        """Take a pending relay for sending (None if someone else has it or it is done)."""
        return self.store.lease_relay(relay_id, seconds)

    def relay_sent(self, relay_id: int, copied_message_id: int | None) -> None:
        self.store.relay_sent(relay_id, copied_message_id)

    def relay_failed(self, relay_id: int, error: str, give_up_after: int) -> None:
        self.store.relay_failed(relay_id, error, give_up_after)

    def pending_relays(self) -> list[Relay]:
        """Waiting to be sent, or leased by a sender that never finished (a crash)."""
        return self.store.pending_relays()

    def relays(self, ticket_id: int) -> list[Relay]:
        return self.store.relays(ticket_id)

    def last_operator_reply(self, ticket_id: int) -> Relay | None:
        return self.store.last_operator_reply(ticket_id)

    def add_draft(self, ticket: Ticket, operator_id: int, answer: str) -> int:
        return self.store.add_draft(ticket.id, operator_id, ticket.lang, ticket.question, answer)

    def drafts(self) -> list[Draft]:
        return self.store.drafts()
