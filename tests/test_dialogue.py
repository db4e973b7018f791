import json

import pytest

from bot.dialogue import MAX_QUERY_CHARS, Helpdesk, Reply, render_card
from retrieval.embedders import HashingEmbedder
from retrieval.index import build_index, save_index

CONTRACT_KEYS = {"text", "lang", "action", "intent", "topic", "confidence", "answer", "links",
                 "candidates", "latency_ms"}


@pytest.fixture
def tiny_helpdesk(tiny_settings, tiny_kb):
    embedder = HashingEmbedder(256)
    save_index(build_index(tiny_kb, embedder), tiny_settings.index_dir)
    settings = tiny_settings.model_copy(update={"dense_floor": 0.0, "dense_ceiling": 1.0,
                                                "answer_threshold": 0.3, "clarify_threshold": 0.2})
    return Helpdesk.from_settings(settings, embedder=embedder)


def test_answer_card_with_link_in_the_question_language(tiny_helpdesk):
    reply = tiny_helpdesk.reply("Как проверить налоговый долг?")
    assert (reply.action, reply.topic, reply.lang) == ("answer", "tax-debt-check", "ru")
    assert reply.answer.startswith("Как проверить налоговый долг?")
    assert "Ведомство: Ведомство" in reply.answer
    assert reply.links == [{"title": "Портал", "url": "https://e-gov.az"}]


def test_chosen_language_wins(tiny_helpdesk):
    reply = tiny_helpdesk.reply("vergi borcu", lang_hint="en")
    assert reply.lang == "en" and reply.answer.startswith("How do I check my tax debt?")


def test_smalltalk_and_operator(tiny_helpdesk):
    hello = tiny_helpdesk.reply("Salam")
    assert (hello.action, hello.intent, hello.topic) == ("smalltalk", "greeting", None)
    person = tiny_helpdesk.reply("I want to talk to a human operator")
    assert (person.action, person.intent, person.lang) == ("handoff", "operator_request", "en")


@pytest.mark.parametrize("text", ["", "   ", "🙂🙂🙂", "\x00\x01\u202e\u200b", "?!..."])
def test_empty_like_messages_get_a_polite_reply(tiny_helpdesk, text):
    reply = tiny_helpdesk.reply(text)
    assert reply.action == "smalltalk" and reply.intent == "empty" and reply.answer


def test_huge_message_is_answered_from_its_start(tiny_helpdesk):
    text = "vergi borcu " + "x" * 10_000
    reply = tiny_helpdesk.reply(text)
    assert reply.text == text and reply.topic == "tax-debt-check"
    assert MAX_QUERY_CHARS < len(text)


def test_reply_json_contract(tiny_helpdesk):
    data = tiny_helpdesk.reply("pasport").to_json_dict()
    assert set(data) == CONTRACT_KEYS
    json.dumps(data)
    assert data["action"] in ("answer", "clarify", "handoff", "smalltalk")
    assert data["candidates"] == sorted(data["candidates"], key=lambda c: -c["score"])


def test_clarify_lists_candidate_titles(tiny_helpdesk):
    tiny_helpdesk.policy = type(tiny_helpdesk.policy)(answer_threshold=0.99, clarify_threshold=0.01)
    reply = tiny_helpdesk.reply("vergi")
    assert reply.action == "clarify" and reply.topic is None
    assert "Vergi borcunu necə yoxlamaq olar?" in reply.answer


async def test_areply_runs_in_a_thread(tiny_helpdesk):
    reply = await tiny_helpdesk.areply("identity card")
    assert isinstance(reply, Reply) and reply.topic == "id-card"


def test_card_shows_fee_and_channel(tiny_kb):
    card = render_card(tiny_kb.by_topic["passport"], "az")
    assert "Harada: onlayn" in card and "Sənədlər: Sənəd" in card


# The real pipeline: bundled articles, real e5 model, real faiss index.
REAL_QUESTIONS = [
    ("vergi borcumu nece yoxlayim?", "tax-debt-check"),
    ("Şəxsiyyət vəsiqəmi itirmişəm, yenisini necə alım?", "id-card"),
    ("asan imza nedir ve haradan almaq olar", "asan-imza"),
    ("Как проверить свой пенсионный счёт?", "pension-account-check"),
    ("Как зарегистрировать брак?", "marriage-registration"),
    ("How do I pay a traffic fine online?", "fines-check"),
    ("My ID card expired, what now?", "id-card"),
]


@pytest.mark.slow
@pytest.mark.parametrize("text, topic", REAL_QUESTIONS)
def test_real_pipeline_answers(bundled_helpdesk, text, topic):
    reply = bundled_helpdesk.reply(text)
    assert reply.action == "answer", reply.candidates
    assert reply.topic == topic
    assert reply.links and all(link["url"].startswith("https://") for link in reply.links)
    assert len(reply.answer) < 4096


@pytest.mark.slow
def test_real_pipeline_hands_off_nonsense(bundled_helpdesk):
    reply = bundled_helpdesk.reply("Who won the football match yesterday evening?")
    assert reply.action == "handoff" and reply.topic is None


def test_repeated_question_is_served_from_the_cache(tiny_helpdesk):
    embedder = tiny_helpdesk.searcher.embedder
    first = tiny_helpdesk.reply("Как проверить налоговый долг?")
    calls = embedder.calls
    again = tiny_helpdesk.reply("Как проверить налоговый долг?\u200b")
    assert embedder.calls == calls  # no new encoding
    assert again.answer == first.answer and again.text.endswith("\u200b")
    again.answer = "mutated"
    assert tiny_helpdesk.reply("Как проверить налоговый долг?").answer == first.answer


def test_cache_is_bounded_and_can_be_off(tiny_helpdesk):
    tiny_helpdesk.cache_size = 2
    for text in ("vergi", "pasport", "identity card"):
        tiny_helpdesk.reply(text)
    assert len(tiny_helpdesk._cache) == 2
    tiny_helpdesk.cache_size = 0
    calls = tiny_helpdesk.searcher.embedder.calls
    tiny_helpdesk.reply("unseen words here")
    tiny_helpdesk.reply("unseen words here")
    assert tiny_helpdesk.searcher.embedder.calls == calls + 2
