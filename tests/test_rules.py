import pytest

from intents.rules import KeywordIntents, asks_how_to_complain
from retrieval.normalize import fold

rules = KeywordIntents()


@pytest.mark.parametrize(
    "text, intent",
    [
        ("Salam", "greeting"),
        ("salam aleykum", "greeting"),
        ("Здравствуйте!", "greeting"),
        ("Good morning", "greeting"),
        ("çox sağ olun", "thanks"),
        ("tesekkurler", "thanks"),
        ("Спасибо большое", "thanks"),
        ("thanks a lot", "thanks"),
        ("Sağ qalın", "goodbye"),
        ("До свидания", "goodbye"),
        ("bye", "goodbye"),
        ("what can you do?", "help"),
        ("operatorla danışmaq istəyirəm", "operator_request"),
        ("оператор", "operator_request"),
        ("I want to talk to a human", "operator_request"),
    ],
)
def test_conversational_intents(text, intent):
    assert rules.predict(text).intent == intent


def test_greeting_inside_a_question_is_a_question():
    assert rules.predict("Salam, vergi borcumu nece yoxlayim? e-taxes-de tapa bilmirem").intent == "question"


def test_empty_is_out_of_scope_and_questions_default():
    assert rules.predict("").intent == "out_of_scope"
    assert rules.predict("🙂").intent == "out_of_scope"
    assert rules.predict("pasport almaq ucun ne lazimdir").intent == "question"


@pytest.mark.parametrize(
    "text, intent",
    [
        ("asan imzali sim karti operatordan aldim, indi onu aktiv etmek ucun hara aparmaliyam?", "question"),
        ("how do i register as an e-kassa operator", "question"),
        ("if I call 108, will the operator tell me what documents I need", "question"),
        # "I need and" is no "I need a(n)": the asking words end at a word boundary
        ("will the operator tell me what documents I need and how much it is", "question"),
        ("108-ə zəng etsəm operator deyəcək hansı sənədlər lazımdı?", "question"),
        ("если позвоню на 108, оператор скажет, какие документы нужны?", "question"),
        ("Мобильный оператор не регистрирует мой IMEI", "question"),
        ("operator", "operator_request"),
        ("I need an operator", "operator_request"),
        ("canli operator verin zehmet olmasa", "operator_request"),
        ("уже третий раз пишу, никто не отвечает, дайте сотрудика", "operator_request"),
        ("insan lazımdır", "operator_request"),
        ("insan haqları", "question"),
    ],
)
def test_operator_word_asks_for_a_person_only_in_a_request(text, intent):
    assert KeywordIntents().predict(text).intent == intent


@pytest.mark.parametrize(
    "text, asks",
    [
        ("rəsmi şikayəti hara verim?", True),
        ("sikayet etmek isteyirem, kime muraciet edim", True),
        ("куда пожаловаться на сотрудника", True),
        ("Where can I officially complain about this?", True),
        ("şikayət edirəm, biabırçılıqdır!", False),
        ("How many times must I complain?", False),
        ("The office lost my papers. I complain. Where is my passport?", False),
        ("примет ли колл-центр 108 жалобу на отдел?", True),
        ("108 şikayət qəbul edirmi?", True),
        ("хочу пожаловаться, они не принимают мои документы", False),
    ],
)
def test_asks_how_to_complain(text, asks):
    assert asks_how_to_complain(fold(text)) is asks


@pytest.mark.parametrize(
    "text",
    [
        "Can a person with a disability get free medicines?",
        "How does a person register a car bought abroad?",
        "Where do I complain to the human rights commissioner?",
        "Which national priority concerns innovation and human capital?",
        "Is humanitarian aid for IDPs paid automatically?",
        "Can someone from my family collect my passport?",
        "How do I talk to a notary online?",
        "Should I speak to a lawyer before signing?",
        "Əlilliyi olan insanlara pulsuz dərman verilir?",
        "canlı heyvanı xaricə aparmaq üçün sənəd",
        "Как оплатить соединение газа?",
        "Кто может переключить счётчик на другого владельца?",
    ],
)
def test_a_question_that_only_mentions_people_is_no_request_for_one(text):
    assert rules.predict(text).intent == "question"


@pytest.mark.parametrize(
    "text",
    [
        "insanla danışmaq istəyirəm",
        "Canlı çat açın",
        "kimse canli cavab versin",
        "canli bir adamla yazismaq isteyirem",
        "Переключите меня на сотрудника",
        "соедините с менеджером",
        "Please put me through to someone from the support team.",
        "Connect me with a consultant",
        "connect me please",
        "I want to chat with a live person",
        "I'd like a person to handle this, not a chatbot",
        "speak with an operator",
        "talk to someone",
    ],
)
def test_an_explicit_request_for_a_person_in_any_wording(text):
    assert rules.predict(text).intent == "operator_request"


@pytest.mark.parametrize("text", ["tibbi heyət arayışı", "Heyvan pasportu necə alınır?"])
def test_words_that_begin_like_a_greeting_are_no_greeting(text):
    assert rules.predict(text).intent == "question"
