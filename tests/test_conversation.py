"""The Telegram-free conversation: the real bundled helpdesk, the real SQLite store."""

import dataclasses

import pytest

from bot.cases.tickets import Tickets
from bot.conversation import CARD_QUESTION_CHARS, Citizen, Conversation
from bot.serving import HelpdeskRef
from bot.storage.sqlite import SqliteStore
from bot.transcript import Transcript

OFFICIAL = ("gov.az", "e-gov.az")
ALI = Citizen(user_id=71, chat_id=71, first_name="Ali")


class CountingMetrics:
    def __init__(self) -> None:
        self.messages: list[str] = []
        self.replies: list[str] = []

    def count_message(self, direction: str) -> None:
        self.messages.append(direction)

    def observe_reply(self, action: str, seconds: float) -> None:
        assert seconds >= 0
        self.replies.append(action)


@pytest.fixture
def store(tmp_path):
    s = SqliteStore(tmp_path / "h.sqlite3")
    yield s
    s.close()


@pytest.fixture
def metrics():
    return CountingMetrics()


@pytest.fixture
def conversation(bundled_helpdesk, store, metrics):
    return Conversation(HelpdeskRef(bundled_helpdesk), store, Tickets(store), OFFICIAL, metrics)


async def test_a_question_is_answered_logged_both_ways_and_counted(conversation, store, metrics):
    turn = await conversation.ask(ALI, "vergi borcumu necə yoxlayım?", Transcript(store, 11))
    assert turn.reply is not None and turn.reply.action == "answer" and turn.consent is None
    rows = store.messages(ALI.user_id)
    assert [(r["direction"], r["update_id"]) for r in rows] == [("in", 11), ("out", 11)]
    assert rows[1]["id"] == turn.answer_id and rows[1]["topic"] == turn.reply.topic
    assert metrics.messages == ["in"] and metrics.replies == ["answer"]
    assert store.user(ALI.user_id) is not None  # the citizen is known from the first message


async def test_a_bare_link_gets_its_verdict_and_no_answer(conversation, store):
    turn = await conversation.ask(ALI, "https://e-taxes.gov.az.secure-pay.com/login", Transcript(store, 12))
    assert turn.reply is None and [(v.domain, v.official) for v in turn.links] == [
        ("e-taxes.gov.az.secure-pay.com", False)
    ]
    [row] = store.messages(ALI.user_id)
    assert row["action"] == "link_check" and row["direction"] == "in"


async def test_a_link_inside_a_question_gets_both(conversation, store):
    turn = await conversation.ask(
        ALI, "www.e-gov.az saytında vergi borcumu necə yoxlayım?", Transcript(store, 13)
    )
    assert [(v.domain, v.official) for v in turn.links] == [("e-gov.az", True)]
    assert turn.reply is not None and turn.answer_id is not None


async def test_an_edit_is_answered_in_the_chosen_language_and_not_counted_again(conversation, store, metrics):
    store.set_language(ALI.user_id, "ru")
    turn = await conversation.ask(ALI, "vergi borcumu necə yoxlayım?", Transcript(store), edited=True)
    assert turn.lang == "ru" and turn.reply is not None and turn.reply.lang == "ru"
    assert metrics.messages == []


async def test_asking_for_a_person_waits_for_consent_with_the_last_question(conversation, store):
    transcript = Transcript(store, 14)
    await conversation.ask(ALI, "vergi borcumu necə yoxlayım?", transcript)
    turn = conversation.request_person(ALI, transcript, said="/operator")
    assert turn.consent is not None and not turn.with_person
    ticket = Tickets(store).get(turn.consent.ticket_id)
    assert ticket is not None and ticket.state == "consent"
    assert ticket.question == "vergi borcumu necə yoxlayım?" and ticket.reason == "operator_request"
    assert store.messages(ALI.user_id)[-1]["text"] == "/operator"


async def test_a_citizen_with_an_open_case_is_told_a_person_is_coming(conversation, store):
    turn = conversation.request_person(ALI, Transcript(store), said="[button] operator")
    assert turn.consent is not None
    Tickets(store).open(turn.consent.ticket_id, ALI.user_id)
    again = conversation.request_person(ALI, Transcript(store), said="[button] operator")
    assert again.with_person and again.consent is None


async def test_the_consent_request_is_redacted_and_cut_for_the_operators_card(conversation, store):
    long_question = "Mənim FIN kodum 5ZXK4PT, telefonum +994 50 123 45 67. " + "vergi " * 300
    await conversation.ask(ALI, long_question, Transcript(store))
    named = Citizen(ALI.user_id, ALI.chat_id, first_name="Ali +994501234567")
    turn = conversation.request_person(named, Transcript(store), said="/operator")
    assert turn.consent is not None
    ticket = Tickets(store).get(turn.consent.ticket_id)
    assert ticket is not None
    assert "5ZXK4PT" not in ticket.question and "123 45 67" not in ticket.question
    assert len(ticket.question) <= CARD_QUESTION_CHARS + 1 and ticket.question.endswith("…")
    assert "994501234567" not in (ticket.first_name or "")


async def test_a_handoff_reply_comes_with_its_consent_request(conversation, store):
    turn = await conversation.ask(ALI, "Mən operatorla danışmaq istəyirəm", Transcript(store))
    assert turn.reply is not None and turn.reply.action == "handoff"
    assert turn.consent is not None and turn.consent.lang == turn.reply.lang
    ticket = Tickets(store).get(turn.consent.ticket_id)
    assert ticket is not None and ticket.state == "consent"


async def test_feedback_only_on_the_citizens_own_answers(conversation, store):
    turn = await conversation.ask(ALI, "vergi borcumu necə yoxlayım?", Transcript(store))
    assert turn.answer_id is not None
    assert conversation.rate_answer(ALI.user_id, turn.answer_id, 1) == turn.reply.lang
    assert conversation.rate_answer(999, turn.answer_id, 1) is None  # someone else's answer
    assert conversation.rate_answer(ALI.user_id, turn.answer_id + 1000, 0) is None  # forged id
    assert conversation.rate_answer(ALI.user_id, turn.answer_id, 7) is None  # forged vote
    assert [f["helpful"] for f in store.feedback()] == [1]


def test_languages_chosen_and_fallen_back(conversation, store):
    assert conversation.language(5) == "az" and conversation.language(5, "ru") == "ru"
    assert conversation.language(5, "de") == "az"  # not one of ours
    assert not conversation.choose_language(5, "de") and conversation.choose_language(5, "en")
    assert conversation.language(5, "ru") == "en"
    assert conversation.greet(6, "ru") == "ru" and store.user(6) is not None


def test_export_is_the_citizens_data_and_is_audited(conversation, store):
    store.log_message(ALI.user_id, ALI.chat_id, "in", "salam")
    exported = conversation.export(ALI.user_id)
    assert "salam" in exported
    assert [a["action"] for a in store.audit_log()] == ["mydata"]


async def test_the_helpdesk_is_read_from_the_reference_at_each_message(bundled_helpdesk, store):
    class Swapped:
        """Another helpdesk, as a reload would bring: it answers every question with a clarify."""

        def __getattr__(self, name):
            return getattr(bundled_helpdesk, name)

        def reply(self, text, lang_hint=None, mode="hybrid"):
            reply = bundled_helpdesk.reply(text, lang_hint=lang_hint, mode=mode)
            return dataclasses.replace(reply, action="clarify")  # the shared fixture's reply untouched

    serving = HelpdeskRef(bundled_helpdesk)
    conversation = Conversation(serving, store, Tickets(store), OFFICIAL)
    first = await conversation.ask(ALI, "vergi borcumu necə yoxlayım?", Transcript(store))
    serving.swap(Swapped())  # type: ignore[arg-type]
    second = await conversation.ask(ALI, "vergi borcumu necə yoxlayım?", Transcript(store))
    assert first.reply.action == "answer" and second.reply.action == "clarify"


def test_consent_yes_opens_no_declines_and_someone_elses_is_stale(conversation, store):
    first = conversation.request_person(ALI, Transcript(store), said="/operator").consent
    assert conversation.consent(999, first.ticket_id, True, relay_enabled=True).outcome == "stale"
    declined = conversation.consent(ALI.user_id, first.ticket_id, False, relay_enabled=True)
    assert declined.outcome == "declined" and declined.ticket is None
    assert conversation.consent(ALI.user_id, first.ticket_id, True, relay_enabled=True).outcome == "stale"
    second = conversation.request_person(ALI, Transcript(store), said="/operator").consent
    opened = conversation.consent(ALI.user_id, second.ticket_id, True, relay_enabled=True)
    assert opened.outcome == "open" and opened.ticket.state == "open"
    assert store.user(ALI.user_id)["consent_at"] is not None
    # A crash before the card was posted: a repeated yes hands the same open ticket back.
    again = conversation.consent(ALI.user_id, second.ticket_id, True, relay_enabled=True)
    assert again.outcome == "open" and again.ticket.id == opened.ticket.id
    assert conversation.consent(ALI.user_id, second.ticket_id, True, relay_enabled=False).outcome == "stale"


def test_a_case_rated_reopened_ended_and_forgotten(conversation, store):
    tickets = Tickets(store)
    ticket_id = conversation.request_person(ALI, Transcript(store), said="/operator").consent.ticket_id
    conversation.consent(ALI.user_id, ticket_id, True, relay_enabled=True)
    assert conversation.rate_case(ALI.user_id, ticket_id, 5) is None  # not closed yet
    tickets.close(ticket_id)
    assert conversation.rate_case(ALI.user_id, ticket_id, 9) is None  # forged stars
    assert conversation.rate_case(999, ticket_id, 5) is None  # someone else's case
    assert conversation.rate_case(ALI.user_id, ticket_id, 5) == "az"
    assert conversation.reopen_case(999, ticket_id) is None
    reopened = conversation.reopen_case(ALI.user_id, ticket_id)
    assert reopened is not None and reopened.state == "open"
    ended = conversation.end_case(ALI.user_id)
    assert ended is not None and ended.id == ticket_id and tickets.get(ticket_id).state == "closed"
    assert conversation.end_case(ALI.user_id) is None
    store.save_chat_context(ALI.chat_id, ALI.user_id, {"topic": "passport"})
    assert conversation.forget(ALI) == "az"
    assert store.messages(ALI.user_id) == [] and tickets.get(ticket_id) is None
    assert store.chat_context(ALI.chat_id) is None
    assert [a["action"] for a in store.audit_log()][-1] == "forget"


async def test_the_replies_and_their_part_model_are_made_off_the_event_loop(conversation, store, monkeypatch):
    """Making a ContextualReplies reads the follow-up part model, which a process's first message
    once trained on the event loop while every other chat waited."""
    import threading

    import bot.context

    made_on: list[threading.Thread] = []
    real = bot.context.ContextualReplies.__init__

    def spy(self, *args, **kwargs):
        made_on.append(threading.current_thread())
        real(self, *args, **kwargs)

    monkeypatch.setattr(bot.context.ContextualReplies, "__init__", spy)
    turn = await conversation.ask(ALI, "vergi borcumu necə yoxlayım?", Transcript(store, 21))
    assert turn.reply is not None and turn.reply.action == "answer"
    assert made_on and threading.main_thread() not in made_on
