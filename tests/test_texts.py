from bot.texts import TEXTS, t


def test_every_key_in_every_language():
    keys = set(TEXTS["az"])
    for lang in ("ru", "en"):
        assert set(TEXTS[lang]) == keys


def test_emergency_numbers_in_help():
    for lang in TEXTS:
        assert all(n in TEXTS[lang]["help"] for n in ("112", "101", "102", "103"))


def test_unknown_language_falls_back_to_azerbaijani():
    assert t("greeting", "de") == TEXTS["az"]["greeting"]
