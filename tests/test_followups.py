import pytest

from bot.followups import (
    asked_group,
    asked_part,
    content_words,
    is_repair,
    opens_new_question,
    refers_back,
    split_questions,
    typed_choice,
)


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
        ("скока времени ждать после того как оплатил?", "duration"),  # colloquial, names paying too
        ("how often do I have to renew it?", "duration"),
        ("what should I have ready for the appointment?", "documents"),  # "ready" here is not a time
        ("which sənəd do they want?", "documents"),  # code-switched
        ("hansı notariusa getmək lazımdır?", "where"),
        ("Are pensioners exempt?", "eligibility"),
        ("oğlumun 17 yaşı var, olar?", "eligibility"),
        ("anası gedə bilər?", "eligibility"),
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


@pytest.mark.parametrize(
    "text",
    [
        "bu deyil",
        "kömək etmədi",
        "не то",
        "не помогло",
        "that didn't help",
        "bu mənə lazım olan məlumat deyil",
        "это не отвечает на вопрос",
    ],
)
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


@pytest.mark.parametrize(
    "text, part",
    [
        ("skolko stoit bu?", "fee"),  # Russian in Latin letters inside Azerbaijani
        ("and the deadline?", "duration"),
        ("kuda idti, ofis?", "where"),
        ("ssylku daite", "link"),
        ("do I need anything for it, like asan imza?", "documents"),  # not "where" for ASAN
        ("do I need my passport for that?", "documents"),
        ("а студентам дают?", "eligibility"),
        ("хозяин квартиры может это сделать?", "eligibility"),
        ("кто подаёт — работодатель или я сам?", "eligibility"),
        ("hara, to my employer or DSMF?", "where"),  # an employer as the place, not a group
    ],
)
def test_more_parts_in_more_phrasings(text, part):
    assert asked_part(text) == part


def test_whom_more_eligibility_questions_are_about():
    assert asked_group("а студентам дают?") == "student"
    assert asked_group("ev sahibi edə bilər?") == "owner"
    assert asked_group("а за отца могу подать?") == "proxy"


def test_a_message_that_opens_a_question_of_its_own():
    assert opens_new_question("bir də soruşum, doğum şəhadətnaməsini necə alaq?")
    assert opens_new_question("bir de sorusum, dogum sehadetnamesini nece alaq?")  # no letters
    assert opens_new_question("а ещё как получить пособие?")
    assert opens_new_question("and how do I get a passport?")
    assert opens_new_question("bir də sürücülük vəsiqəsi haqqında")  # "one more thing: …"
    assert opens_new_question("and how do I pay the road tax?")
    assert not opens_new_question("how much do I pay?")
    assert not opens_new_question("do I need my passport for that?")
    assert not opens_new_question("neçəyə başa gəlir?")


def test_a_message_that_points_back_at_the_card():
    assert refers_back("do I need my passport for that?")
    assert refers_back("bunun üçün pul ödəməliyik?")
    assert refers_back("а для этого нужен паспорт?")
    assert not refers_back("and how do I get a passport?")


@pytest.mark.parametrize(
    "text",
    [
        "Bağışlayın, bu mənim soruşduğum deyildi.",
        "yox ee, bunu sorusmurdum",
        "yox, bu deyil",
        "wrong answer",
        "that's not what I asked",
        "это не то, я не это спрашивал",
        "ne to",
    ],
)
def test_more_repairs(text):
    assert is_repair(text)


def test_typed_choices_in_more_forms():
    assert typed_choice("ikinci variant", 3) == 1
    assert typed_choice("икинҹиси", 3) == 1  # Azerbaijani in Cyrillic
    assert typed_choice("ikincisini", 3) == 1  # the object form
    assert typed_choice("üçüncüsü", 3) == 2 and typed_choice("ucuncusu", 3) == 2
    assert typed_choice("второй вариант", 3) == 1 and typed_choice("последнюю", 3) == 2
    assert typed_choice("option 2", 3) == 1 and typed_choice("the last one", 3) == 2
    assert typed_choice("2-ci", 3) == 1
    assert typed_choice("not that one", 3) is None  # "one" is no ordinal


def test_an_acknowledgement_before_the_and_is_no_question_of_its_own():
    assert split_questions("ok and also how do I submit a customs declaration?") == [
        "ok and also how do I submit a customs declaration?"
    ]
    assert len(split_questions("yaxşı, və necə ödəyim?")) == 1


def test_the_cue_patterns_are_compiled_on_first_use_not_at_import():
    """A one-question `helpdesk ask` imports this module (through bot.cards) and reads no follow-up."""
    import subprocess
    import sys

    script = (
        "import bot.cards, bot.followups as f; n = f._patterns.cache_info().currsize; "
        "f.asked_part('neçəyə başa gəlir?'); print(n, f._patterns.cache_info().currsize)"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0", "1"]
