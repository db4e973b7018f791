"""End to end: handoff to operators in a forum supergroup, through the real Dispatcher, the real
store and a Bot API server on 127.0.0.1. Who may take, release, transfer and close a ticket is in
test_operator_claims.py."""

import asyncio
import datetime as dt

import pytest
from conftest import OPERATORS_CHAT
from operator_helpers import OPERATOR, card_of, consent_pending, hand_off, operator_says, reply_based, until

from bot.telegram.keyboards import Consent, Rating, Reopen

pytestmark = pytest.mark.slow


async def test_full_ticket_life(bot_harness):
    harness = await bot_harness()
    fake, store = harness.fake, harness.store
    user = 6001
    ticket = await hand_off(harness, user)
    assert ticket.state == "open" and ticket.reason == "operator_request"
    # a topic named with number, language and sector, and the card in it
    assert fake.topics[ticket.thread_id].startswith(f"#{ticket.id} · AZ")
    card = next(s for s in fake.sent_to(OPERATORS_CHAT) if s.thread_id == ticket.thread_id)
    assert f"#{ticket.id}" in card.text and "canlı operatorla" in card.text
    assert "queue" in fake.sent_to(user)[-1].text or "Növbədə" in fake.sent_to(user)[-1].text

    # the citizen's next message goes to the topic, not to the bot's answering
    await fake.send_text(user, "Mənim pensiyam gecikir")
    copies = await fake.wait_sent(OPERATORS_CHAT, 1, method="copyMessage")
    assert copies[0].thread_id == ticket.thread_id

    # the operator answers in the topic: claimed, relayed, citizen told a person took over
    await operator_says(fake, "Salam! Hansı ayın pensiyası gecikib?", ticket.thread_id)
    relayed = await fake.wait_sent(user, 1, method="copyMessage")
    assert int(relayed[0].params["from_chat_id"]) == OPERATORS_CHAT
    assert any("Əməkdaş" in s.text or "staff" in s.text for s in fake.sent_to(user))
    assert harness.handoff.tickets.get(ticket.id).operator_id == OPERATOR

    # a /note stays internal
    await operator_says(fake, "/note yoxlamaq lazımdır", ticket.thread_id)
    await until(lambda: any(a["action"] == "note" for a in store.audit_log()))
    assert len(fake.sent_to(user, "copyMessage")) == 1

    # /kb turns the last reply into a draft
    await operator_says(fake, "/kb", ticket.thread_id)
    await until(lambda: harness.handoff.tickets.drafts())
    assert "pensiyası" in harness.handoff.tickets.drafts()[0].answer

    # /close → the citizen rates, and can reopen
    await operator_says(fake, "/close", ticket.thread_id)
    await until(lambda: harness.handoff.tickets.get(ticket.id).state == "closed")
    await until(
        lambda: any(
            b.get("callback_data", "").startswith("r:") for s in fake.sent_to(user) for b in s.buttons()
        )
    )
    await fake.press(user, Rating(ticket=ticket.id, stars=5).pack())
    await until(lambda: harness.handoff.tickets.get(ticket.id).rating == 5)
    await fake.press(user, Reopen(ticket=ticket.id).pack())
    await until(lambda: harness.handoff.tickets.get(ticket.id).state == "open")
    actions = [a["action"] for a in store.audit_log()]
    for action in ("ticket_opened", "take", "reply", "note", "kb_draft", "close", "rated", "reopened"):
        assert action in actions


async def test_declined_consent_sends_nothing_to_operators(bot_harness):
    harness = await bot_harness()
    fake = harness.fake
    user = 6002
    await fake.send_text(user, "operator lazımdır")
    sent = await fake.wait_sent(user, 2)
    ticket_id = Consent.unpack(next(b["callback_data"] for b in sent[-1].buttons())).ticket
    await fake.press(user, Consent(ticket=ticket_id, yes=0).pack())
    await fake.wait_sent(user, 3)
    assert harness.handoff.tickets.get(ticket_id).state == "declined"
    assert not fake.sent_to(OPERATORS_CHAT) and not fake.topics


async def test_restart_keeps_ticket_and_relay(bot_harness):
    harness = await bot_harness()
    fake = harness.fake
    ticket = await hand_off(harness, 6005)
    await harness.stop()
    restarted = await bot_harness()
    await fake.send_text(6005, "hələ də gözləyirəm")
    copies = await fake.wait_sent(OPERATORS_CHAT, 1, method="copyMessage")
    assert copies[-1].thread_id == ticket.thread_id
    await operator_says(fake, "Bağışlayın, baxıram", ticket.thread_id)
    await fake.wait_sent(6005, 1, method="copyMessage")
    assert restarted.handoff.tickets.get(ticket.id).state == "claimed"


async def test_failed_relay_is_retried_not_dropped(bot_harness):
    harness = await bot_harness()
    fake = harness.fake
    ticket = await hand_off(harness, 6006)
    fake.broken["copyMessage"] = [500, 502]
    await operator_says(fake, "Cavab budur", ticket.thread_id)
    relayed = await fake.wait_sent(6006, 1, method="copyMessage", timeout=15)
    assert relayed and fake.calls["copyMessage"] >= 3
    [row] = harness.handoff.tickets.relays(ticket.id)[-1:]
    assert row.state == "sent" and row.attempts >= 3


async def test_duplicate_update_has_one_effect(bot_harness):
    harness = await bot_harness()
    fake = harness.fake
    ticket = await hand_off(harness, 6007)
    update = await operator_says(fake, "Bir dəfə", ticket.thread_id)
    await fake.wait_sent(6007, 1, method="copyMessage")
    fake.updates.append(dict(update))  # Telegram delivers the same update again
    async with fake._new_update:
        fake._new_update.notify_all()
    await asyncio.sleep(1.5)
    assert len(fake.sent_to(6007, "copyMessage")) == 1
    assert len(harness.handoff.tickets.relays(ticket.id)) == 1


async def test_holiday_outside_hours_message(bot_harness):
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=4))).date()
    harness = await bot_harness(holidays=[today.isoformat(), (today + dt.timedelta(days=1)).isoformat()])
    fake = harness.fake
    user = 6008
    ticket = await hand_off(harness, user)
    waiting = fake.sent_to(user)[-1].text
    assert "iş vaxtı deyil" in waiting
    back = harness.handoff.hours.next_open()
    assert back.date() > today + dt.timedelta(days=1) and back.strftime("%d.%m") in waiting
    assert ticket.state == "open"  # the ticket waits


async def test_unclaimed_ticket_gets_links_and_stays_open(bot_harness):
    harness = await bot_harness(handoff_timeout_minutes=0.01)
    fake = harness.fake
    user = 6009
    ticket = await hand_off(harness, user, "Şəxsiyyət vəsiqəsini necə dəyişim? operator lazımdır")
    await until(lambda: harness.handoff.tickets.get(ticket.id).reminded_at, timeout=10)
    reminder = fake.sent_to(user)[-1]
    assert "açıq qalır" in reminder.text
    assert harness.handoff.tickets.get(ticket.id).state == "open"


async def test_reply_based_relay_without_forum(bot_harness):
    harness = await reply_based(bot_harness)
    fake = harness.fake
    await until(lambda: any("reply" in s.text for s in fake.sent_to(OPERATORS_CHAT)))  # said so at start
    ticket = await hand_off(harness, 6010)
    assert ticket.thread_id is None and ticket.card_message_id
    card = card_of(ticket)
    await operator_says(fake, "Cavab reply ilə", None, reply_to=card)
    await fake.wait_sent(6010, 1, method="copyMessage")


async def test_complaint_is_marked_on_the_card(bot_harness):
    harness = await bot_harness()
    fake = harness.fake
    user = 6011
    ticket = await hand_off(harness, user, "ASAN-da işçi mənə qarşı çox kobud davrandı, şikayət edirəm!")
    assert ticket.reason == "complaint"
    card = next(s for s in fake.sent_to(OPERATORS_CHAT) if s.thread_id == ticket.thread_id)
    assert "COMPLAINT" in card.text


async def test_without_an_operators_chat_the_citizen_is_told_honestly(bot_harness):
    harness = await bot_harness(operators_chat_id=None)
    ticket = await hand_off(harness, 6012)
    assert "108" in harness.fake.sent_to(6012)[-1].text
    assert ticket.state == "open" and not harness.fake.topics


async def test_forget_closes_the_open_ticket_and_tells_operators(bot_harness):
    harness = await bot_harness()
    fake = harness.fake
    user = 6013
    ticket = await hand_off(harness, user)
    await fake.send_text(user, "/forget")
    sent = await fake.wait_sent(user, len(fake.sent_to(user)) + 1)
    await fake.press(user, next(b["callback_data"] for b in sent[-1].buttons()))
    await until(lambda: harness.handoff.tickets.get(ticket.id) is None)
    assert any("/forget" in s.text for s in fake.sent_to(OPERATORS_CHAT) if s.thread_id == ticket.thread_id)


async def test_a_ticket_left_half_open_by_a_crash_gets_its_card_when_yes_comes_again(bot_harness):
    """A crash after the ticket opened but before its card was posted: the replayed "yes" posts it."""
    harness = await bot_harness()
    fake, tickets = harness.fake, harness.handoff.tickets
    user = 6090
    consent, ticket_id = await consent_pending(fake, user)
    tickets.open(ticket_id, user)  # what the killed process got done
    assert tickets.get(ticket_id).card_message_id is None
    await fake.press(user, consent)
    await until(lambda: tickets.get(ticket_id).card_message_id is not None)
    card = next(s for s in fake.sent_to(OPERATORS_CHAT) if f"#{ticket_id}" in s.text)
    assert card.thread_id == tickets.get(ticket_id).thread_id
    # once the card is there, the same button is stale: no second topic
    topics = len(fake.topics)
    await fake.press(user, consent)
    await asyncio.sleep(0.5)
    assert len(fake.topics) == topics


async def test_a_topic_made_before_a_crash_is_used_for_the_card(bot_harness):
    """Killed after the topic was made but before the card: the replay posts the card there."""
    harness = await bot_harness()
    fake, tickets = harness.fake, harness.handoff.tickets
    user = 6091
    consent, ticket_id = await consent_pending(fake, user)
    tickets.open(ticket_id, user)
    tickets.set_topic(ticket_id, 777, None)  # the topic the killed run had made
    fake.topics[777] = "made before the crash"
    topics = len(fake.topics)
    await fake.press(user, consent)
    await until(lambda: tickets.get(ticket_id).card_message_id is not None)
    assert len(fake.topics) == topics
    card = next(s for s in fake.sent_to(OPERATORS_CHAT) if f"#{ticket_id}" in s.text)
    assert card.thread_id == 777 and tickets.get(ticket_id).thread_id == 777


async def test_edits_reach_the_other_side_while_a_person_has_the_case(bot_harness):
    harness = await bot_harness()
    fake = harness.fake
    user = 6020
    ticket = await hand_off(harness, user)
    answers_before = len(fake.sent_to(user))
    # The citizen corrects a message: the topic sees the new text; the bot does not answer it.
    await fake.push(fake.message_update(user, "düzəliş: pensiya mart ayı üçün", edited=True))
    await until(
        lambda: any(
            "edited" in s.text and "mart ayı" in s.text
            for s in fake.sent_to(OPERATORS_CHAT)
            if s.thread_id == ticket.thread_id
        )
    )
    await asyncio.sleep(0.3)
    assert len(fake.sent_to(user)) == answers_before
    # The operator answers, then corrects the answer: the citizen gets the corrected copy.
    answer = await operator_says(fake, "Salam, 5 iş günü", ticket.thread_id)
    await fake.wait_sent(user, 1, method="copyMessage")
    edited = fake.message_update(
        OPERATOR,
        "Salam, 10 iş günü",
        chat_id=OPERATORS_CHAT,
        chat_type="supergroup",
        thread_id=ticket.thread_id,
        edited=True,
    )
    edited["edited_message"]["message_id"] = answer["message"]["message_id"]
    await fake.push(edited)
    copies = await fake.wait_sent(user, 2, method="copyMessage")
    assert int(copies[-1].params["from_chat_id"]) == OPERATORS_CHAT
    assert any("corrected" in s.text or "düzəltdi" in s.text for s in fake.sent_to(user))
    # An edit of a message never relayed (a /note, say) is not sent to the citizen.
    note = fake.message_update(
        OPERATOR,
        "/note daxili",
        chat_id=OPERATORS_CHAT,
        chat_type="supergroup",
        thread_id=ticket.thread_id,
        edited=True,
    )
    await fake.push(note)
    await asyncio.sleep(0.3)
    assert len(fake.sent_to(user, "copyMessage")) == 2


async def test_a_button_pressed_in_the_operators_group_is_answered(bot_harness):
    harness = await bot_harness()
    fake = harness.fake
    update = await fake.press(OPERATOR, "h:1:1")
    update["callback_query"]["message"]["chat"] = {"id": OPERATORS_CHAT, "type": "supergroup"}
    await fake.push({"callback_query": update["callback_query"]})
    await until(lambda: len(fake.callback_answers()) == 2)
    assert "Nothing to do" in fake.callback_answers()[-1].params.get("text", "")
