"""The chat's memory and the replies that use it: the real bundled helpdesk (e5 + faiss)."""

import pytest

from bot.cards import card_part
from bot.context import ChatContext, ChatMemory, ContextualReplies, InMemoryContexts, after
from bot.dialogue import Reply
from bot.storage.sqlite import SqliteStore


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def replies(bundled_helpdesk):
    return ContextualReplies(bundled_helpdesk)


def on(topic: str, *candidates: str, lang: str = "az") -> ChatContext:
    return ChatContext(topic=topic, candidates=(topic, *candidates), lang=lang)


# memory ---------------------------------------------------------------------------------------
def test_memory_expires_and_forgets(tmp_path):
    clock = Clock()
    contexts = InMemoryContexts(clock=clock)
    memory = ChatMemory(contexts, minutes=30, clock=clock)
    memory.keep(7, 7, on("passport"))
    assert memory.get(7) == on("passport")
    clock.now += 29 * 60
    assert memory.get(7) is not None
    clock.now += 2 * 60  # 31 minutes after the last message: a new conversation
    assert memory.get(7) is None
    memory.keep(7, 7, on("passport"))
    memory.forget(7)
    assert memory.get(7) is None


def test_no_memory_at_all_with_zero_minutes():
    contexts = InMemoryContexts()
    memory = ChatMemory(contexts, minutes=0)
    memory.keep(7, 7, on("passport"))
    assert memory.get(7) is None and contexts.saved == {}
    with pytest.raises(ValueError):
        ChatMemory(contexts, minutes=-1)


def test_memory_in_the_real_store_survives_a_reopen_and_forget_user(tmp_path):
    path = tmp_path / "h.sqlite3"
    store = SqliteStore(path)
    ChatMemory(store, 30).keep(7, 7, on("passport", "id-card", lang="ru"))
    store.close()
    store = SqliteStore(path)  # a restart
    try:
        assert ChatMemory(store, 30).get(7) == on("passport", "id-card", lang="ru")
        store.forget_user(7)
        assert ChatMemory(store, 30).get(7) is None
    finally:
        store.close()


def test_a_damaged_context_is_no_context():
    assert ChatContext.from_json({"topic": 5, "candidates": None, "lang": "xx"}) == ChatContext()


def test_what_the_chat_is_about_after_each_kind_of_reply():
    answer = Reply("q", "az", "answer", "question", "passport", 0.9, "…", candidates=[{"topic": "passport"}])
    assert after(answer, None) == ChatContext("passport", ("passport",), (), "az")
    clarify = Reply("q", "en", "clarify", "question", None, 0.4, "…", choices=["passport", "id-card"])
    assert after(clarify, on("tax-debt-check")).choices == ("passport", "id-card")
    refer = Reply("q", "az", "refer", "question", None, 0.4, "…", service="notary")
    assert after(refer, on("passport")) is None  # a service without a card: nothing to follow up
    hello = Reply("salam", "az", "smalltalk", "greeting", None, 1.0, "…")
    assert after(hello, on("passport")) == on("passport")
    picked = Reply("", "az", "answer", "question", "id-card", 1.0, "…", candidates=[{"topic": "id-card"}])
    assert after(picked, on("passport", "id-card")).candidates == ("passport", "id-card")


# follow-ups -----------------------------------------------------------------------------------
def test_a_fee_follow_up_is_answered_from_the_card_in_the_citizens_language(replies, bundled_helpdesk):
    passport = bundled_helpdesk.kb.by_topic["passport"]
    assert passport.fee  # the bundled passport card states its fee (sourced)
    for text, lang in (
        ("neçəyə başa gəlir?", "az"),
        ("а сколько это стоит?", "ru"),
        ("how much is it?", "en"),
    ):
        [reply] = replies.reply(text, on("passport"), lang_hint=None).replies
        assert (reply.action, reply.topic, reply.part, reply.lang) == ("answer", "passport", "fee", lang)
        assert passport.fee[lang] in reply.answer
        assert [link["url"] for link in reply.links] == [link.url for link in passport.links]


def test_a_part_the_card_does_not_state_is_said_plainly(replies, bundled_helpdesk):
    unstated = next(a for a in bundled_helpdesk.kb.articles if not a.fee)
    [reply] = replies.reply("how much does it cost?", on(unstated.topic), lang_hint="en").replies
    assert reply.part == "fee" and "does not state" in reply.answer and reply.links


def test_an_eligibility_follow_up_quotes_the_cards_lines_about_the_group(bundled_helpdesk):
    article = next(
        a for a in bundled_helpdesk.kb.articles if "child" in a.sections["en"].body.lower() and a.fee
    )
    text = card_part(article, "eligibility", "en", "child")
    body_lines = {line.strip() for line in article.sections["en"].body.splitlines()}
    assert "child" in text.lower() and set(text.splitlines()) <= body_lines  # the card's own lines


def test_a_follow_up_that_names_another_service_is_a_new_question(replies):
    [reply] = replies.reply("how much does a driving licence cost?", on("passport"), lang_hint="en").replies
    assert reply.topic == "driver-license" and reply.part is None


def test_without_context_a_follow_up_is_an_ordinary_question(replies, bundled_helpdesk):
    [reply] = replies.reply("neçəyə başa gəlir?", None).replies
    plain = bundled_helpdesk.reply("neçəyə başa gəlir?")
    assert (reply.action, reply.topic, reply.part) == (plain.action, plain.topic, None)


def test_repair_offers_the_next_candidates_then_a_typed_choice_picks_one(replies):
    context = on("passport", "id-card", "lost-documents")
    read = replies.reply("bu deyil", context)
    [repair] = read.replies
    assert repair.action == "clarify" and repair.choices == ["id-card", "lost-documents"]
    assert read.context.choices == ("id-card", "lost-documents") and read.context.topic == "passport"
    read = replies.reply("ikincisi", read.context)
    [chosen] = read.replies
    assert (chosen.action, chosen.topic, chosen.reason) == ("answer", "lost-documents", "typed_choice")
    assert read.context.topic == "lost-documents" and read.context.choices == ()


def test_a_repair_with_nothing_else_to_offer_offers_a_person(replies):
    [reply] = replies.reply("не то", on("passport"), lang_hint="ru").replies
    assert reply.action == "handoff" and reply.lang == "ru"


def test_a_clarify_answered_with_words(replies):
    context = ChatContext(
        None, ("pension-account-check", "passport"), ("pension-account-check", "passport"), "ru"
    )
    [reply] = replies.reply("про пенсию", context).replies
    assert reply.topic == "pension-account-check"


@pytest.mark.parametrize(
    "text, lang",
    [("who is eligible?", "en"), ("кто может подать?", "ru"), ("hansı sənədlər lazımdır?", "az")],
)
def test_a_part_asked_while_a_choice_is_open_offers_the_choice_again(replies, text, lang):
    choices = ("mortgage", "state-duty-payment", "taxpayer-registration")
    context = ChatContext(None, choices, choices, lang)
    read = replies.reply(text, context)
    [reply] = read.replies
    assert (reply.action, reply.reason, reply.lang) == ("clarify", "part_needs_choice", lang)
    assert reply.choices == list(choices) and read.context.choices == choices
    read = replies.reply("birincisi", read.context)  # and then the choice works as before
    assert (read.replies[0].topic, read.replies[0].reason) == ("mortgage", "typed_choice")


def test_a_part_question_naming_a_service_while_a_choice_is_open_is_its_own_question(replies):
    choices = ("mortgage", "state-duty-payment", "taxpayer-registration")
    [reply] = replies.reply(
        "pasport üçün hansı sənədlər lazımdır?", ChatContext(None, choices, choices, "az")
    ).replies
    assert (reply.action, reply.topic) == ("answer", "passport")


def test_two_questions_in_one_message_are_answered_in_order(replies):
    read = replies.reply("how do I get a passport and how much does it cost for a child", None)
    assert [(r.topic, r.part) for r in read.replies] == [("passport", None), ("passport", "fee")]
    assert read.context.topic == "passport"


def test_an_and_inside_one_question_does_not_split_it(replies):
    read = replies.reply("what's the SIMA signature and how do I get it?", None)
    assert len(read.replies) == 1 and read.replies[0].topic == "sima-signature"


@pytest.mark.parametrize(
    "topic, text, part",
    [
        ("id-card", "do I need my passport for that?", "documents"),  # named in passing, pointing back
        ("id-card", "а для этого нужен паспорт?", "documents"),
        ("military-deferment", "куда подавать, в военкомат?", "where"),  # a place the search finds weakly
        ("veterans-benefits", "а за мать могу подать заявление?", "eligibility"),
        ("water-account", "сколько ждать подключения воды?", "duration"),
    ],
)
def test_a_follow_up_that_mentions_another_service_in_passing_stays_a_follow_up(replies, topic, text, part):
    [reply] = replies.reply(text, on(topic)).replies
    assert (reply.topic, reply.part) == (topic, part)


@pytest.mark.parametrize(
    "topic, text, new",
    [
        ("id-card", "and how do I get a passport?", "passport"),
        ("id-card", "а как получить загранпаспорт?", "passport"),
        # The kindergarten card lists a birth certificate among its documents; asked for, it is new.
        (
            "kindergarten-enrollment",
            "bir də soruşum, uşağın doğum şəhadətnaməsini necə ala bilərəm?",
            "birth-registration",
        ),
        (
            "kindergarten-enrollment",
            "bir de sorusum, usagin dogum sehadetnamesini nece ala bilerem?",
            "birth-registration",
        ),
    ],
)
def test_a_question_of_its_own_about_another_service_is_a_new_question(replies, topic, text, new):
    [reply] = replies.reply(text, on(topic)).replies
    assert (reply.topic, reply.part) == (new, None)


def test_a_repair_in_other_words_then_a_choice_typed_in_russian(replies):
    read = replies.reply("это не то, я не это спрашивал", on("passport", "id-card", "lost-documents"))
    assert read.replies[0].action == "clarify"
    [chosen] = replies.reply("второй вариант", read.context).replies
    assert (chosen.topic, chosen.reason) == ("lost-documents", "typed_choice")


def test_an_acknowledgement_then_a_new_question_is_one_reply(replies):
    read = replies.reply("ok, and also how do I get a passport?", on("id-card"))
    assert [r.topic for r in read.replies] == ["passport"]


@pytest.mark.parametrize(
    "text",
    [
        "şəxsiyyət vəsiqəsi",
        "sexsiyyet vesiqesi haqqinda",
        "шәхсијјәт вәсигәси",
        "про удостоверение",
        "the ID card one",
    ],
)
def test_a_choice_named_by_its_subject_even_when_its_words_cue_a_part(replies, text):
    # "sənəd"/"вәсигә" words cue the documents part; naming an offered topic picks it.
    context = ChatContext(
        "passport", ("passport", "id-card", "lost-documents"), ("id-card", "lost-documents")
    )
    [reply] = replies.reply(text, context).replies
    assert (reply.topic, reply.reason) == ("id-card", "typed_choice")


def test_a_part_asked_while_choices_wait_is_about_the_card_in_mind(replies):
    context = ChatContext(
        "passport", ("passport", "id-card", "lost-documents"), ("id-card", "lost-documents")
    )
    [reply] = replies.reply("neçəyə başa gəlir?", context).replies
    assert (reply.topic, reply.part) == ("passport", "fee")
