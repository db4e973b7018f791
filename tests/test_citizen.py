"""End to end: the real Dispatcher, real Helpdesk (e5 + faiss), real SQLite, against a Bot API
server on 127.0.0.1."""

import pytest

from bot.telegram.keyboards import Feedback, LangChoice, TopicChoice

pytestmark = pytest.mark.slow
USER = 5001


async def test_start_offers_languages_and_privacy(running_bot):
    fake = running_bot.fake
    await fake.send_text(USER, "/start")
    [sent] = await fake.wait_sent(USER)
    assert "/privacy" in sent.text
    assert [b["callback_data"] for b in sent.buttons()] == ["l:az", "l:ru", "l:en"]
    await fake.press(USER, LangChoice(lang="ru").pack())
    sent = await fake.wait_sent(USER, 2)
    assert sent[-1].text.startswith("Язык: русский")
    assert running_bot.store.language(USER) == "ru"
    await fake.send_text(USER, "/privacy")
    sent = await fake.wait_sent(USER, 3)
    assert "90" in sent[-1].text and "FİN" in sent[-1].text


@pytest.mark.parametrize(
    "user, text, url",
    [
        (5101, "vergi borcumu nece yoxlayim?", "https://e-taxes.gov.az"),
        (5102, "Как проверить свой пенсионный счёт?", "https://e-sosial.az"),
        (5103, "How do I get a new identity card?", "https://asan.gov.az"),
    ],
)
async def test_question_answered_with_official_link_button(running_bot, user, text, url):
    fake = running_bot.fake
    await fake.send_text(user, text)
    [sent] = await fake.wait_sent(user)
    urls = [b.get("url") for b in sent.buttons() if b.get("url")]
    assert url in urls
    assert sent.params.get("parse_mode") == "HTML" and sent.text.startswith("<b>")
    assert any(b.get("callback_data", "").startswith("f:") for b in sent.buttons())
    assert fake.calls["sendChatAction"] >= 1
    rows = running_bot.store.messages(user)
    assert [r["direction"] for r in rows] == ["out", "in"] or {r["direction"] for r in rows} == {"in", "out"}


async def test_feedback_is_stored_once_and_forged_feedback_refused(running_bot):
    fake = running_bot.fake
    await fake.send_text(USER, "ASAN İmza nədir?")
    [sent] = await fake.wait_sent(USER)
    thumbs_up = next(b["callback_data"] for b in sent.buttons() if b["text"] == "👍")
    await fake.press(USER, thumbs_up)
    await fake.press(USER, thumbs_up)
    await fake.press(USER, Feedback(message=999999, helpful=1).pack())  # not this user's answer
    await fake.press(USER + 1, thumbs_up)  # someone else's answer
    for _ in range(50):
        if len(fake.callback_answers()) >= 4:
            break
        import asyncio

        await asyncio.sleep(0.1)
    feedback = running_bot.store.feedback()
    assert len(feedback) == 1 and feedback[0]["helpful"] == 1 and feedback[0]["user_id"] == USER
    assert feedback[0]["topic"] == "asan-imza"
    texts = [a.params.get("text", "") for a in fake.callback_answers()]
    assert sum("no longer valid" in t or "etibarlı deyil" in t or "не действует" in t for t in texts) == 2


async def test_clarify_buttons_and_choosing_one(running_bot):
    fake = running_bot.fake
    user = 5201
    await fake.press(user, TopicChoice(topic="passport").pack())
    [sent] = await fake.wait_sent(user)
    assert "https://asan.gov.az" in [b.get("url") for b in sent.buttons()]
    helpdesk = running_bot.dp.workflow_data["helpdesk_ref"].current
    saved = helpdesk.policy
    try:
        # Force the clarify branch: nothing is confident enough to answer outright.
        helpdesk.policy = type(saved)(answer_threshold=0.99, clarify_threshold=0.01)
        await fake.send_text(user, "sənəd almaq istəyirəm")
        sent = await fake.wait_sent(user, 2)
    finally:
        helpdesk.policy = saved
    choices = [b["callback_data"] for b in sent[-1].buttons() if b.get("callback_data", "").startswith("t:")]
    assert len(choices) >= 2
    await fake.press(user, choices[0])
    sent = await fake.wait_sent(user, 3)
    topic = TopicChoice.unpack(choices[0]).topic
    assert sent[-1].text.startswith("<b>") and any(b.get("url") for b in sent[-1].buttons())
    assert running_bot.store.messages(user)[-1]["topic"] == topic


async def test_a_part_asked_before_choosing_gets_the_choice_again(running_bot):
    fake = running_bot.fake
    user = 5202
    helpdesk = running_bot.dp.workflow_data["helpdesk_ref"].current
    saved = helpdesk.policy
    try:
        helpdesk.policy = type(saved)(answer_threshold=0.99, clarify_threshold=0.01)
        await fake.send_text(user, "sənəd almaq istəyirəm")
        [first] = await fake.wait_sent(user)
        await fake.send_text(user, "who is eligible?")
        sent = await fake.wait_sent(user, 2)
    finally:
        helpdesk.policy = saved

    def offered(message):
        return [b["callback_data"] for b in message.buttons() if b.get("callback_data", "").startswith("t:")]

    assert len(offered(first)) >= 2 and offered(sent[-1]) == offered(first)  # not handed to a person
    assert "Choose one of these" in sent[-1].text


async def test_sticker_photo_voice_get_a_polite_reply(running_bot):
    fake = running_bot.fake
    user = 5301
    await fake.push(
        fake.message_update(
            user,
            sticker={
                "file_id": "x",
                "file_unique_id": "x",
                "type": "regular",
                "width": 1,
                "height": 1,
                "is_animated": False,
                "is_video": False,
            },
        )
    )
    await fake.push(fake.message_update(user, voice={"file_id": "v", "file_unique_id": "v", "duration": 2}))
    sent = await fake.wait_sent(user, 2)
    assert all("mətn" in s.text or "text" in s.text for s in sent)


async def test_forged_callback_data_answered_politely(running_bot):
    fake = running_bot.fake
    user = 5401
    for data in ("t:no-such-topic", "zzz", "l:xx", "f:abc:1", "s:weather", "t:" + "x" * 60):
        await fake.press(user, data)
    import asyncio

    for _ in range(100):
        if len(fake.callback_answers()) >= 6:
            break
        await asyncio.sleep(0.05)
    assert len(fake.callback_answers()) == 6
    assert not fake.sent_to(user)  # no crash message, no stray answer


async def test_retry_after_429_then_delivered(running_bot):
    fake = running_bot.fake
    user = 5501
    fake.fail["sendMessage"] = [1]
    await fake.send_text(user, "Salam")
    [sent] = await fake.wait_sent(user, timeout=20)
    assert fake.calls["sendMessage"] >= 2  # the refused one and the retry
    assert "Salam" in sent.text or "kömək" in sent.text


async def test_group_chats_are_ignored_and_edits_answered(running_bot):
    fake = running_bot.fake
    await fake.send_text(7001, "vergi borcu", chat_id=-100777, chat_type="supergroup")
    user = 5601
    await fake.push(fake.message_update(user, "pasport necə alım?", edited=True))
    [sent] = await fake.wait_sent(user)
    assert not fake.sent_to(-100777)
    assert "<i>" in sent.text


async def test_pasted_link_is_checked(running_bot):
    fake = running_bot.fake
    user = 5701
    await fake.send_text(user, "https://e-taxes.gov.az.secure-pay.com/login")
    await fake.send_text(user, "www.e-gov.az")
    sent = await fake.wait_sent(user, 2)
    assert sent[0].text.startswith("⚠️") and "secure-pay.com" in sent[0].text
    assert sent[1].text.startswith("✅")


async def test_empty_like_and_huge_messages(running_bot):
    fake = running_bot.fake
    user = 5801
    await fake.send_text(user, "\u202e\u200b")
    await fake.send_text(user, "vergi " * 2000)
    sent = await fake.wait_sent(user, 2)
    assert all(0 < len(s.text) <= 4096 for s in sent)


async def test_mydata_and_forget(running_bot):
    import json

    fake, store = running_bot.fake, running_bot.store
    user = 5901
    await fake.send_text(user, "Mənim FİN kodum 5ZXK4PT, pasportu necə dəyişim?")
    await fake.wait_sent(user, 1)
    await fake.send_text(user, "/mydata")
    [document] = await fake.wait_sent(user, 1, method="sendDocument")
    raw = document.params["document"]
    data = json.loads(raw)
    assert data["messages"] and "5ZXK4PT" not in json.dumps(data, ensure_ascii=False)
    before = len(fake.sent_to(user))
    await fake.send_text(user, "/forget")
    sent = await fake.wait_sent(user, before + 1)
    forget = next(b["callback_data"] for b in sent[-1].buttons())
    await fake.press(user, forget)
    await fake.wait_sent(user, before + 2)
    assert store.export_user(user) == {"user": None, "messages": [], "feedback": [], "tickets": []}


async def test_served_bot_exposes_health_and_metrics(bot_harness):
    import socket

    import aiohttp

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    harness = await bot_harness(metrics_port=port)
    await harness.fake.send_text(5991, "Как оплатить налог онлайн?")
    await harness.fake.wait_sent(5991, 1)
    async with aiohttp.ClientSession() as http:
        assert (await http.get(f"http://127.0.0.1:{port}/healthz")).status == 200
        page = await (await http.get(f"http://127.0.0.1:{port}/metrics")).text()
    assert 'helpdesk_messages_total{direction="in"} 1' in page
    assert "helpdesk_reply_seconds_count 1" in page


# a conversation: follow-ups from the card in context ------------------------------------------
async def card_then_follow_up(fake, user: int, question: str, article, lang: str, follow_up: str) -> list:
    """Ask ``question``, check that ``article``'s card came, send ``follow_up``; both replies."""
    await fake.send_text(user, question)
    [card] = await fake.wait_sent(user)
    assert article.title[lang] in card.text
    await fake.send_text(user, follow_up)
    return await fake.wait_sent(user, 2)


@pytest.mark.parametrize(
    "user, lang, question, follow_up",
    [
        (5301, "az", "Xarici pasportu necə ala bilərəm?", "neçəyə başa gəlir?"),
        (5311, "ru", "Как получить загранпаспорт?", "а сколько это стоит?"),
        (5321, "en", "How do I get a passport for travel abroad?", "how much is it?"),
    ],
)
async def test_a_follow_up_is_answered_from_the_card_just_shown(running_bot, user, lang, question, follow_up):
    passport = running_bot.helpdesk.kb.by_topic["passport"]
    sent = await card_then_follow_up(running_bot.fake, user, question, passport, lang, follow_up)
    assert passport.fee[lang][:40] in sent[-1].text  # the card's own (sourced) fee, in that language
    assert "https://asan.gov.az" in [b.get("url") for b in sent[-1].buttons()]
    assert passport.sections[lang].body[:60] not in sent[-1].text  # the part, not the card again


async def test_the_context_survives_a_restart(bot_harness):
    harness = await bot_harness()
    fake, user = harness.fake, 5302
    await fake.send_text(user, "Как получить загранпаспорт?")
    await fake.wait_sent(user)
    await harness.stop()
    restarted = await bot_harness()  # a new process on the same database
    await fake.send_text(user, "а сколько это стоит?")
    sent = await fake.wait_sent(user, 2)
    assert restarted.helpdesk.kb.by_topic["passport"].fee["ru"][:30] in sent[-1].text


async def test_after_the_context_expires_a_follow_up_is_a_new_question(bot_harness):
    import asyncio

    harness = await bot_harness(context_minutes=0.005)  # 0.3 s
    fake, user = harness.fake, 5303
    await fake.send_text(user, "How do I get a passport for travel abroad?")
    await fake.wait_sent(user)
    await asyncio.sleep(0.6)
    await fake.send_text(user, "how much is it?")
    sent = await fake.wait_sent(user, 2)
    fee = harness.helpdesk.kb.by_topic["passport"].fee["en"]
    assert fee[:30] not in sent[-1].text  # nothing in mind any more: not the passport's fee
    rows = [r for r in harness.store.messages(user) if r["direction"] == "in"]
    assert rows[-1]["topic"] != "passport"


@pytest.mark.parametrize(
    "user, question, repair, second",
    [
        (5304, "How do I get a passport for travel abroad?", "that's not what I asked", "the second one"),
        (5314, "Xarici pasportu necə ala bilərəm?", "bu deyil", "ikincisi"),
        (5324, "Как получить загранпаспорт?", "не то", "второй"),
        (5334, "xarici pasportu nece ala bilerem?", "bunu sorusmurdum", "ikinci variant"),  # no letters
        (5344, "Как получить загранпаспорт?", "я не это спрашивал", "второй вариант"),
        (5354, "How do I get a passport for travel abroad?", "wrong answer", "option 2"),
        (5364, "Xarici pasportu necə ala bilərəm?", "yox, bu deyil", "икинҹиси"),  # Cyrillic az
    ],
)
async def test_repair_then_a_typed_choice(running_bot, user, question, repair, second):
    fake = running_bot.fake
    await fake.send_text(user, question)
    await fake.wait_sent(user)
    await fake.send_text(user, repair)
    sent = await fake.wait_sent(user, 2)
    offered = [b["callback_data"] for b in sent[-1].buttons() if b.get("callback_data", "").startswith("t:")]
    assert len(offered) >= 2 and TopicChoice(topic="passport").pack() not in offered  # the next ones
    assert any(b.get("callback_data", "").startswith("o") for b in sent[-1].buttons())  # and a person
    await fake.send_text(user, second)
    sent = await fake.wait_sent(user, 3)
    chosen = running_bot.helpdesk.kb.by_topic[TopicChoice.unpack(offered[1]).topic]
    assert any(title in sent[-1].text for title in chosen.title.values())


@pytest.mark.parametrize(
    "user, lang, question, follow_up",
    [
        (5306, "en", "How do I renew my ID card?", "do I need my passport for that?"),
        (5316, "ru", "Как заменить удостоверение личности?", "а для этого нужен паспорт?"),
    ],
)
async def test_a_service_named_in_passing_keeps_the_card(running_bot, user, lang, question, follow_up):
    id_card = running_bot.helpdesk.kb.by_topic["id-card"]
    sent = await card_then_follow_up(running_bot.fake, user, question, id_card, lang, follow_up)
    assert id_card.title[lang] in sent[-1].text  # the ID card's documents, not the passport card
    rows = [r for r in running_bot.store.messages(user) if r["direction"] == "in"]
    assert rows[-1]["topic"] == "id-card"


async def test_cancel_forgets_the_card_in_context(running_bot):
    fake, user = running_bot.fake, 5305
    await fake.send_text(user, "How do I get a passport for travel abroad?")
    await fake.wait_sent(user)
    assert running_bot.store.chat_context(user) is not None
    await fake.send_text(user, "/cancel")
    await fake.wait_sent(user, 2)
    assert running_bot.store.chat_context(user) is None
