import pytest

from intents.rules import KeywordIntents

rules = KeywordIntents()


@pytest.mark.parametrize("text, intent", [
    ("Salam", "greeting"), ("salam aleykum", "greeting"), ("Здравствуйте!", "greeting"),
    ("Good morning", "greeting"), ("çox sağ olun", "thanks"), ("tesekkurler", "thanks"),
    ("Спасибо большое", "thanks"), ("thanks a lot", "thanks"), ("Sağ qalın", "goodbye"),
    ("До свидания", "goodbye"), ("bye", "goodbye"), ("what can you do?", "help"),
    ("operatorla danışmaq istəyirəm", "operator_request"), ("оператор", "operator_request"),
    ("I want to talk to a human", "operator_request"),
])
def test_conversational_intents(text, intent):
    assert rules.predict(text).intent == intent


def test_greeting_inside_a_question_is_a_question():
    assert rules.predict("Salam, vergi borcumu nece yoxlayim? e-taxes-de tapa bilmirem").intent == "question"


def test_empty_is_out_of_scope_and_questions_default():
    assert rules.predict("").intent == "out_of_scope"
    assert rules.predict("🙂").intent == "out_of_scope"
    assert rules.predict("pasport almaq ucun ne lazimdir").intent == "question"
