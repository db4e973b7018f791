import pytest

from intents.language import detect_language


@pytest.mark.parametrize("text, lang", [
    ("Vergi borcumu necə yoxlayım?", "az"),
    ("vergi borcumu nece yoxlayim", "az"),
    ("shexsiyyet vesiqemi itirmishem ne edim", "az"),
    ("pensiyami harda yoxlaya bilerem", "az"),
    ("Как проверить пенсионный счёт?", "ru"),
    ("my ID card expired, what now?", "en"),
    ("How do I pay my property tax online", "en"),
    ("Верҝи борҹуму нечә јохлајым", "az"),     # Azerbaijani Cyrillic
    ("salam", "az"),
    ("Здравствуйте", "ru"),
])
def test_detects_language(text, lang):
    assert detect_language(text).lang == lang


def test_short_or_symbol_text_is_not_confident():
    guess = detect_language("ok")
    assert not guess.confident
    assert detect_language("👍", default="ru") == ("ru", False)
    assert detect_language("", default="en").lang == "en"


def test_mixed_azerbaijani_and_russian_follows_the_majority_script():
    assert detect_language("salam, пенсия хочу проверить через e-sosial").lang == "ru"
    assert detect_language("pensiyami yoxlamaq isteyirem, e-sosial").lang == "az"
