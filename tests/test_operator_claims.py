"""End to end, who may do what with a ticket: only operators take, release, transfer and close
it, a taken ticket is the taker's, and a refused step is answered once with the ticket's number."""

import pytest
from conftest import OPERATORS_CHAT
from operator_helpers import COLLEAGUE, card_of, hand_off, operator_says, reply_based, until

pytestmark = pytest.mark.slow


async def test_citizen_cannot_use_operator_commands(bot_harness):
    harness = await bot_harness()
    fake = harness.fake
    ticket = await hand_off(harness, 6003)
    # the citizen types /take and /close in their private chat: no ticket changes hands or closes
    await fake.send_text(6003, "/take")
    await fake.send_text(6003, "/close")
    await fake.wait_sent(OPERATORS_CHAT, 2, method="copyMessage")  # relayed as plain messages
    after = harness.handoff.tickets.get(ticket.id)
    assert after.state == "open" and after.operator_id is None
    assert not [a for a in harness.store.audit_log() if a["action"] in ("take", "close")]


async def test_take_release_transfer(bot_harness):
    harness = await bot_harness()
    fake = harness.fake
    ticket = await hand_off(harness, 6004)
    await operator_says(fake, "/take", ticket.thread_id)
    await until(lambda: harness.handoff.tickets.get(ticket.id).state == "claimed")
    await operator_says(fake, "/take", ticket.thread_id, user=COLLEAGUE)
    await until(lambda: any("already taken" in s.text for s in fake.sent_to(OPERATORS_CHAT)))
    await operator_says(fake, "I answer too", ticket.thread_id, user=COLLEAGUE)
    await until(lambda: any("not sent" in s.text for s in fake.sent_to(OPERATORS_CHAT)))
    assert not fake.sent_to(6004, "copyMessage")
    await operator_says(fake, f"/transfer {COLLEAGUE}", ticket.thread_id)
    await until(lambda: harness.handoff.tickets.get(ticket.id).operator_id == COLLEAGUE)
    await operator_says(fake, "/release", ticket.thread_id, user=COLLEAGUE)
    await until(lambda: harness.handoff.tickets.get(ticket.id).state == "open")


async def test_transfer_in_reply_based_mode_uses_the_card(bot_harness):
    harness = await reply_based(bot_harness)
    fake = harness.fake
    ticket = await hand_off(harness, 6021)
    card = card_of(ticket)
    await operator_says(fake, f"/transfer {COLLEAGUE}", None, reply_to=card)
    await until(lambda: harness.handoff.tickets.get(ticket.id).operator_id == COLLEAGUE)
    # replying to something that is not a card: told how to do it
    other = {**card, "message_id": 1, "from": {"id": COLLEAGUE, "is_bot": False, "first_name": "Leyla"}}
    await operator_says(fake, "/transfer", None, reply_to=other)
    await until(lambda: any("card" in s.text for s in fake.sent_to(OPERATORS_CHAT) if "transfer" in s.text))


async def test_refused_ticket_steps_get_one_answer_with_the_ticket_number(bot_harness):
    """Every TicketError, whichever command raised it, is answered by the operators' one error
    handler: the ticket's number and the reason, in the topic; nothing reaches the citizen."""
    harness = await bot_harness()
    fake = harness.fake
    ticket = await hand_off(harness, 6050)
    await operator_says(fake, "/release", ticket.thread_id)  # not taken by anyone yet
    await until(lambda: any("have not taken" in s.text for s in fake.sent_to(OPERATORS_CHAT)))
    await operator_says(fake, "/close", ticket.thread_id)
    await until(lambda: harness.handoff.tickets.get(ticket.id).state == "closed")
    await operator_says(fake, "/close", ticket.thread_id)  # closed already
    await until(lambda: any("is not open" in s.text for s in fake.sent_to(OPERATORS_CHAT)))
    refusals = [
        s.text for s in fake.sent_to(OPERATORS_CHAT) if "have not taken" in s.text or "is not open" in s.text
    ]
    assert refusals and all(text.startswith(f"#{ticket.id}: ") for text in refusals)
    assert not [s for s in fake.sent_to(6050) if "have not taken" in s.text or "is not open" in s.text]
