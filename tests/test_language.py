import pytest

from intents.language import detect_language


@pytest.mark.parametrize(
    "text, lang",
    [
        ("Vergi borcumu necə yoxlayım?", "az"),
        ("vergi borcumu nece yoxlayim", "az"),
        ("shexsiyyet vesiqemi itirmishem ne edim", "az"),
        ("pensiyami harda yoxlaya bilerem", "az"),
        ("Как проверить пенсионный счёт?", "ru"),
        ("my ID card expired, what now?", "en"),
        ("How do I pay my property tax online", "en"),
        ("Верҝи борҹуму нечә јохлајым", "az"),  # Azerbaijani Cyrillic
        ("salam", "az"),
        ("Здравствуйте", "ru"),
    ],
)
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


@pytest.mark.parametrize(
    "text",
    [
        "Мен годжаям, яза билмирем. Мене зенг эдин, хахиш эдирем.",
        "Гызымын ики яшы вар, довлет багчасына йер алмаг учун харая язылаг?",
        "Унванлы ярдым учун мураджиети интернетден недже гондерим?",
    ],
)
def test_azerbaijani_typed_in_russian_letters_is_azerbaijani(text):
    assert detect_language(text).lang == "az"


@pytest.mark.parametrize(
    "text",
    [
        "Как получить справку о несудимости?",
        "где поменять загранпаспорт",
        "почему мне не пришла пенсия",
        "Кто выиграл вчерашний матч?",
    ],
)
def test_russian_stays_russian(text):
    assert detect_language(text).lang == "ru"


@pytest.mark.parametrize(
    "text, lang",
    [
        ("How do I get ASAN İmza?", "en"),
        ("What is SİMA and how do I sign with it?", "en"),
        ("ASAN İmza necə alım?", "az"),
        ("travel ban check", "en"),
        ("портал e-gov.az", "ru"),
        ("kak poluchit spravku o nesudimosti", "ru"),
        ("nar-in en ucuz tarifi hansidi?", "az"),
    ],
)
def test_service_names_and_sites_do_not_decide_the_language(text, lang):
    assert detect_language(text).lang == lang
