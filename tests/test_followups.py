import pytest

from bot.followups import asked_group, asked_part, content_words, is_repair, split_questions, typed_choice


@pytest.mark.parametrize(
    "text, part",
    [
        ("neçəyə başa gəlir?", "fee"),
        ("neceye basha gelir", "fee"),  # no Azerbaijani letters, sh for ş
        ("нечәјә баша ҝәлир?", "fee"),  # Azerbaijani in Cyrillic
        ("pulsuzdur?", "fee"),
        ("а это платно?", "fee"),
        ("is it free?", "fee"),
        ("nə qədər vaxt çəkir?", "duration"),
        ("а сколько ждать?", "duration"),
        ("how long till it's paid?", "duration"),  # a time, though it names money
        ("hansı sənədlər lazımdır", "documents"),
        ("какие докуметы нужны", "documents"),  # a typo of документы
        ("what papers do I bring", "documents"),
        ("hara getməliyəm?", "where"),
        ("куда обращаться?", "where"),
        ("can I do it online?", "where"),
        ("saytı hansıdır?", "link"),
        ("а ссылку дадите?", "link"),
        ("what is its web address?", "link"),  # an address on the web, not a street
        ("uşaq üçün də eynidir?", "eligibility"),
        ("а для ребёнка?", "eligibility"),
        ("and for my kids?", "eligibility"),
        ("May my 16-year-old son apply on his own?", "eligibility"),
        ("Can I pay the duty on behalf of another person?", "eligibility"),  # who may, not how much
        ("how much does it cost for a child?", "fee"),  # how much, for whom second
    ],
)
def test_the_part_a_follow_up_asks_for(text, part):
    assert asked_part(text) == part


@pytest.mark.parametrize(
    "text",
    ["salam", "thanks a lot", "спасибо", "sonra nə edim?", "детали потом", "Bunu etmək mümkündürmü?"],
)
def test_messages_that_ask_for_no_part(text):
    assert asked_part(text) is None  # "mümkün" is not "mum", "sonra" not "son", "детали" not "дети"


def test_whom_an_eligibility_question_is_about():
    assert asked_group("bəs uşaq üçün?") == "child"
    assert asked_group("а пенсионерам?") == "pensioner"
    assert asked_group("and for a foreigner?") == "foreigner"
    assert asked_group("can my relative do it for me?") == "proxy"
    assert asked_group("how much is it?") is None


@pytest.mark.parametrize("text", ["bu deyil", "kömək etmədi", "не то", "не помогло", "that didn't help"])
def test_repairs(text):
    assert is_repair(text)


def test_a_long_message_with_a_repair_word_is_not_a_repair():
    assert not is_repair(
        "I filled in the wrong form and now I need to cancel my application for the passport"
    )
    assert not is_repair("how do I check my tax debt")


def test_typed_choices_by_place():
    assert typed_choice("ikincisi", 3) == 1
    assert typed_choice("второй", 2) == 1
    assert typed_choice("the first one", 3) == 0
    assert typed_choice("sonuncu", 3) == 2
    assert typed_choice("3", 2) is None  # only two were offered
    assert typed_choice("ikincisi", 0) is None
    assert typed_choice("I want the second one of those three options please", 3) is None  # too long


def test_content_words_leave_only_what_could_name_a_service():
    assert content_words("neçəyə başa gəlir?") == []
    assert "pasport" in content_words("pasport üçün hansı sənədlər lazımdır")
    assert "driving" in content_words("how much is a driving licence?")


def test_several_questions_in_one_message_split_in_order():
    assert split_questions("how do I get a passport and how much does it cost for a child") == [
        "how do I get a passport",
        "and how much does it cost for a child",
    ]
    assert split_questions("vergi borcumu necə yoxlayım və necə ödəyim?") == [
        "vergi borcumu necə yoxlayım",
        "və necə ödəyim?",
    ]
    assert split_questions("как получить паспорт") == ["как получить паспорт"]
    many = "how do I get a passport and how much is it and how long does it take and where do I go"
    assert len(split_questions(many)) == 3 and split_questions(many)[-1].endswith("where do I go")


def test_a_bare_word_asks_for_a_part_only_as_a_short_message():
    assert asked_part("sənəd?") == "documents" and asked_part("документ?") == "documents"
    assert asked_part("sənəd almaq istəyirəm") is None  # the thing wanted, not what to bring
    assert asked_part("хочу получить документ") is None
