"""Tickets, relayed messages and operators' drafts as typed values, with the tickets' state rules.

Why here and not in ``bot.storage``: the states and what they allow are the cases' business (DESIGN,
"Layout: by boundary": cases/ holds the tickets' dataclasses and states), yet the store has to
build these values from its rows. So this module imports nothing of the bot: ``bot.storage`` may
import it (and only it of ``bot.cases``), while ``bot.cases.tickets`` imports the store. The
``ticket-model-below-storage`` contract in ``.importlinter`` keeps it that way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, get_args

TicketState = Literal["consent", "open", "claimed", "closed", "declined"]
# Open or claimed: a person is, or will be, on the case.
ACTIVE_STATES: tuple[TicketState, ...] = ("open", "claimed")
RelayDirection = Literal["to_operators", "to_citizen"]
# ``sending`` is a leased row: someone is sending it until ``lease_until``.
RelayState = Literal["pending", "sending", "sent", "failed"]

_Name = TypeVar("_Name", bound=str)


def _one_of(value: str, names: tuple[_Name, ...], what: str) -> _Name:
    """``value`` as one of the ``Literal`` names (a row with anything else is a broken database)."""
    for name in names:
        if value == name:
            return name
    raise ValueError(f"unknown {what} {value!r}")


def ticket_state(value: str) -> TicketState:
    return _one_of(value, get_args(TicketState), "ticket state")


def relay_direction(value: str) -> RelayDirection:
    return _one_of(value, get_args(RelayDirection), "relay direction")


def relay_state(value: str) -> RelayState:
    return _one_of(value, get_args(RelayState), "relay state")


@dataclass(frozen=True)
class TicketRequest:
    """What a citizen's handoff asks for, before a ticket exists (it waits for consent)."""

    user_id: int
    chat_id: int
    first_name: str | None
    lang: str
    sector: str | None
    reason: str  # operator_request | low_confidence | complaint | ...
    question: str
    candidates: Sequence[dict[str, Any]]  # the retrieval's best guesses: [{topic, score}]
    confidence: float | None


@dataclass(frozen=True)
class Ticket:
    """One row of ``tickets``: a handoff from the bot to a person, consent → open → claimed → closed."""

    id: int
    user_id: int
    chat_id: int
    first_name: str | None
    lang: str
    sector: str | None
    reason: str
    question: str  # redacted
    candidates: tuple[dict[str, Any], ...]
    confidence: float | None
    state: TicketState
    operator_id: int | None
    operator_name: str | None
    thread_id: int | None  # the forum topic; None in reply-based mode
    card_message_id: int | None
    rating: int | None
    reminded_at: float | None
    created_at: float
    opened_at: float | None
    claimed_at: float | None
    closed_at: float | None

    @property
    def is_active(self) -> bool:
        """Open or claimed: the citizen's messages go to the operators."""
        return self.state in ACTIVE_STATES

    @property
    def awaits_consent(self) -> bool:
        return self.state == "consent"

    @property
    def is_closed(self) -> bool:
        return self.state == "closed"

    def belongs_to(self, user_id: int) -> bool:
        return self.user_id == user_id

    def is_claimed_by(self, operator_id: int) -> bool:
        return self.state == "claimed" and self.operator_id == operator_id

    def may_claim(self, operator_id: int, force: bool = False) -> bool:
        """Active, and not taken by someone else (a transfer, ``force``, takes it all the same)."""
        return self.is_active and (self.state == "open" or self.operator_id == operator_id or force)


@dataclass(frozen=True)
class Relay:
    """One row of the relay outbox: a message copied between the citizen and the operators."""

    id: int
    ticket_id: int
    direction: RelayDirection
    from_chat_id: int
    message_id: int
    sender_id: int | None
    text: str | None  # redacted copy, for /kb and the record
    state: RelayState
    attempts: int
    last_error: str | None
    copied_message_id: int | None
    created_at: float
    sent_at: float | None
    lease_until: float | None


@dataclass(frozen=True)
class Draft:
    """An operator's reply kept with /kb as a knowledge-base draft for the editors."""

    id: int
    ticket_id: int
    operator_id: int
    lang: str | None
    question: str
    answer: str  # redacted
    created_at: float
