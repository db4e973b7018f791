from retrieval.normalize import az_cyrillic_to_latin, az_lower, clean, fold, tokens


def test_fold_meets_written_azerbaijani():
    assert fold("Şəxsiyyət vəsiqəsi") == fold("shexsiyyet vesiqesi") == "sexsiyyet vesiqesi"
    assert fold("Vergi borcumu necə yoxlayım?") == fold("vergi borcumu nece yoxlayim?")
    assert fold("ÇIXARIŞ") == "cixaris"
    assert fold("ağac") == fold("aghac") == "agac"


def test_azerbaijani_lowercase_keeps_dotless_i():
    assert az_lower("İSTƏYİRƏM") == "istəyirəm"
    assert az_lower("IĞDIR") == "ığdır"
    # Python's own lower() would give "i̇" (i + combining dot) for İ.
    assert "\u0307" not in fold("İstanbul")


def test_russian_yo_folds_and_short_i_stays():
    assert fold("Счёт") == "счет"
    assert fold("Пенсионный") == "пенсионный"  # й is a letter of its own, not и + mark


def test_azerbaijani_cyrillic_is_transliterated():
    assert fold("Верҝи борҹуму нечә јохлајым") == "vergi borcumu nece yoxlayim"
    assert fold("Шәхсијјәт вәсигәси") == "sexsiyyet vesiqesi"
    assert az_cyrillic_to_latin("ҹәрimә") == "cərimə"


def test_controls_and_direction_overrides_are_removed():
    text = "ver\u202egi\u200b bor\x00cu\u2066\tnece"
    assert clean(text) == "vergi borcu nece"
    assert tokens(text) == ["vergi", "borcu", "nece"]


def test_nfkc_and_whitespace():
    assert clean("ｖｅｒｇｉ\u00a0  borcu\n") == "vergi borcu"


def test_tokens_of_emoji_and_punctuation_are_empty():
    assert tokens("👍🙂 ... !!!") == []
    assert tokens("") == []


def test_azerbaijani_in_russian_letters_told_by_hg_readings_and_endings():
    from retrieval.normalize import is_az_cyrillic

    assert is_az_cyrillic("Мехкумлуг арайышы пуллудур йохса пулсуз?")
    assert is_az_cyrillic("Техники бахыш кагыз верилир йохса електрон?")
    assert not is_az_cyrillic("Как получить справку о несудимости через портал?")
    assert not is_az_cyrillic("Можно ли продлить визу, если я уже в стране?")


def test_character_tables_give_what_the_per_character_rules_give():
    import unicodedata

    from retrieval import normalize

    def reference_controls(text):  # the rule as it was written before the tables
        out = []
        for ch in text:
            if ch in "\t\n\r\x0b\x0c\x85\u2028\u2029":
                out.append(" ")
            elif unicodedata.category(ch) not in {"Cc", "Cf", "Cs", "Co", "Cn"}:
                out.append(ch)
        return "".join(out)

    sample = "".join(chr(c) for c in range(0x3000)) + "\u200b\u202e\u2066\ufeff\U0001f642\ue000"
    assert normalize.strip_controls(sample) == reference_controls(sample)
    assert normalize.strip_controls(sample) == reference_controls(sample)  # now from the table


def test_a_full_character_table_still_answers_without_remembering():
    from retrieval.normalize import CharTable

    table = CharTable(lambda ch: ch.upper(), limit=2)
    assert "abcdef".translate(table) == "ABCDEF"
    assert len(table) == 2


def test_each_line_is_folded_on_its_own():
    # An article's text holds its az, ru and en sections; one example question in Azerbaijani
    # Cyrillic must not turn the Russian lines into Latin letters.
    text = "Верҝи борҹуму нечә јохлајым\nПроверить налоговый долг"
    assert tokens(text) == ["vergi", "borcumu", "nece", "yoxlayim", "проверить", "налоговый", "долг"]
    assert tokens(text) == [t for line in text.splitlines() for t in tokens(line)]
    assert fold("Верҝи борҹуму\nналоговый") == "vergi borcumu naloqoviy"  # fold alone reads one text
