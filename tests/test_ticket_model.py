"""The tickets' state rules on the dataclass itself (no store): what each state allows, and who."""

from __future__ import annotations

import dataclasses
from typing import get_args

import pytest

from bot.cases.model import (
    ACTIVE_STATES,
    Ticket,
    TicketState,
    relay_direction,
    relay_state,
    ticket_state,
)

OWNER, OPERATOR, COLLEAGUE = 1, 77, 78


def ticket(state: TicketState, operator_id: int | None = None) -> Ticket:
    return Ticket(
        id=5,
        user_id=OWNER,
        chat_id=OWNER,
        first_name="Aysel",
        lang="az",
        sector=None,
        reason="operator_request",
        question="pensiyam gəlmir",
        candidates=(),
        confidence=None,
        state=state,
        operator_id=operator_id,
        operator_name="Op" if operator_id else None,
        thread_id=None,
        card_message_id=None,
        rating=None,
        reminded_at=None,
        created_at=0.0,
        opened_at=None,
        claimed_at=None,
        closed_at=None,
    )


def test_active_means_open_or_claimed():
    assert ACTIVE_STATES == ("open", "claimed")
    assert {s for s in get_args(TicketState) if ticket(s).is_active} == {"open", "claimed"}
    assert [s for s in get_args(TicketState) if ticket(s).awaits_consent] == ["consent"]
    assert [s for s in get_args(TicketState) if ticket(s).is_closed] == ["closed"]


def test_who_may_claim():
    assert ticket("open").may_claim(OPERATOR)
    assert ticket("claimed", OPERATOR).may_claim(OPERATOR)  # /take again is harmless
    assert not ticket("claimed", OPERATOR).may_claim(COLLEAGUE)
    assert ticket("claimed", OPERATOR).may_claim(COLLEAGUE, force=True)  # a transfer
    for state in ("consent", "closed", "declined"):
        assert not ticket(state).may_claim(OPERATOR, force=True), state


def test_claimed_by_and_belongs_to():
    assert ticket("claimed", OPERATOR).is_claimed_by(OPERATOR)
    assert not ticket("claimed", OPERATOR).is_claimed_by(COLLEAGUE)
    assert not ticket("open").is_claimed_by(OPERATOR)
    assert not ticket("closed", OPERATOR).is_claimed_by(OPERATOR)  # closed keeps the name, not the claim
    assert ticket("open").belongs_to(OWNER) and not ticket("open").belongs_to(2)


def test_a_ticket_is_a_value():
    with pytest.raises(dataclasses.FrozenInstanceError):
        ticket("open").state = "closed"  # type: ignore[misc]
    assert ticket("open") == ticket("open") != ticket("claimed", OPERATOR)


def test_unknown_states_are_refused():
    assert ticket_state("claimed") == "claimed" and relay_state("sending") == "sending"
    assert relay_direction("to_citizen") == "to_citizen"
    for parse, value in ((ticket_state, "opened"), (relay_state, "done"), (relay_direction, "sideways")):
        with pytest.raises(ValueError):
            parse(value)
