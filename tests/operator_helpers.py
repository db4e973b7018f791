"""What the operator tests share: waiting for a condition, a citizen handing off, an operator writing
in the operators' group, the reply-based mode and its cards."""

import asyncio

from conftest import OPERATORS_CHAT

from bot.cases.tickets import Ticket
from bot.telegram.keyboards import Consent

OPERATOR, COLLEAGUE = 9001, 9002


async def until(condition, timeout=10.0):
    for _ in range(int(timeout / 0.05)):
        if condition():
            return True
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


async def hand_off(harness, user, text="canlı operatorla danışmaq istəyirəm"):
    """The citizen asks for a person and agrees; returns the open ticket."""
    fake = harness.fake
    before = len(fake.sent_to(user))
    await fake.send_text(user, text)
    sent = await fake.wait_sent(user, before + 2)
    consent = next(
        b["callback_data"]
        for s in sent[before:]
        for b in s.buttons()
        if b.get("callback_data", "").startswith("h:") and b["callback_data"].endswith(":1")
    )
    await fake.press(user, consent)
    await fake.wait_sent(user, before + 3)
    return harness.handoff.tickets.active_for(user)


async def operator_says(fake, text, thread_id, user=OPERATOR, reply_to=None):
    content = {"reply_to_message": reply_to} if reply_to else {}
    return await fake.push(
        fake.message_update(
            user, text, chat_id=OPERATORS_CHAT, chat_type="supergroup", thread_id=thread_id, **content
        )
    )


async def reply_based(bot_harness):
    """A harness whose operators' group has no topics (the bot learns it at start)."""
    harness = await bot_harness()
    harness.fake.forum = False
    await harness.stop()
    return await bot_harness()


def card_of(ticket: Ticket) -> dict:
    """The ticket's card as it appears in an operator's reply (reply-based mode)."""
    return {
        "message_id": ticket.card_message_id,
        "date": 0,
        "chat": {"id": OPERATORS_CHAT, "type": "supergroup"},
        "text": "card",
        "from": {"id": 42, "is_bot": True, "first_name": "Helpdesk"},
    }


async def consent_pending(fake, user: int) -> tuple[str, int]:
    """A new citizen asks for a person: the "yes" button's data and the ticket waiting for it."""
    await fake.send_text(user, "canlı operatorla danışmaq istəyirəm")
    sent = await fake.wait_sent(user, 2)
    consent = next(
        b["callback_data"]
        for s in sent
        for b in s.buttons()
        if b.get("callback_data", "").startswith("h:") and b["callback_data"].endswith(":1")
    )
    return consent, Consent.unpack(consent).ticket
