from retrieval.restore import AzRestorer


def test_restores_letters_from_known_forms():
    restorer = AzRestorer.from_texts(["Vergi borcunu necə yoxlayım?", "Şəxsiyyət vəsiqəsi"], lexicon=None)
    assert restorer.restore("vergi borcunu nece yoxlayim") == "vergi borcunu necə yoxlayım"
    assert restorer.restore("shexsiyyet vesiqesi") == "şəxsiyyət vəsiqəsi"


def test_unknown_and_already_written_words_stay():
    restorer = AzRestorer.from_texts(["necə"], lexicon=None)
    assert restorer.restore("nece xyz") == "necə xyz"
    assert restorer.restore("neçə") == "neçə"  # has letters: the citizen meant it


def test_most_frequent_written_form_wins():
    restorer = AzRestorer.from_texts(["üçün üçün", "ucun"], lexicon=None)
    assert restorer.restore("ucun") == "üçün"


def test_bundled_lexicon_is_used(tmp_path):
    lexicon = tmp_path / "words.txt"
    lexicon.write_text("köçürmək\nnövbəyə\n", encoding="utf-8")
    restorer = AzRestorer.from_texts([], lexicon=lexicon)
    assert restorer.restore("kocurmek novbeye") == "köçürmək növbəyə"


def test_russian_keyboard_words_take_the_reading_the_texts_know():
    restorer = AzRestorer.from_texts(["Hara getməliyəm? Birinci sinfə qəbul üçün qaz kartı"], lexicon=None)
    # х→x/h, г→q/g, ж→j/c: "xara" is "hara", "birinji" is "birinci", "qaz" stays q.
    assert restorer.restore_keyboard("xara") == "hara"
    assert restorer.restore_keyboard("birinji sinfe qebul uçun") == "birinci sinfə qəbul üçün"
    assert restorer.restore_keyboard("qaz karti") == "qaz kartı"
    assert restorer.restore_keyboard("zzz") == "zzz"  # unknown words stay as typed


def test_russian_soft_vowels_typed_for_az_vowels_are_read_as_them():
    restorer = AzRestorer.from_texts(["Xarici vətəndaş 15 gündən çox qalsa", "dörd"], lexicon=None)
    # я, ю, ё after a consonant (transliterated ya, yu, yo) stand for ə, ü, ö
    assert restorer.restore_keyboard("vyatyandaş qyunden dyord") == "vətəndaş gündən dörd"
    # at a word's start, or where the word is known as typed, they stay
    assert restorer.restore_keyboard("yaxşı") == "yaxşı"
    known = AzRestorer.from_texts(["Kənd qyasabası"], lexicon=None)
    assert known.restore_keyboard("qyasabası") == "qyasabası"


def test_the_cached_vocabulary_is_the_built_one_and_follows_the_texts(tmp_path, monkeypatch):
    cache = tmp_path / "restorer_cache.pickle"
    lexicon = tmp_path / "words.txt"
    lexicon.write_text("görə\n", encoding="utf-8")
    texts = ["Vergi borcunu necə yoxlayım?", "Şəxsiyyət vəsiqəsi"]
    built = AzRestorer.from_texts(texts, lexicon)
    first = AzRestorer.cached(texts, cache, lexicon)
    assert cache.is_file() and (first.forms, first.known) == (built.forms, built.known)

    def no_build(*args, **kwargs):
        raise AssertionError("built again")

    with monkeypatch.context() as patch:
        patch.setattr(AzRestorer, "from_texts", classmethod(no_build))
        again = AzRestorer.cached(texts, cache, lexicon)  # read from the cache
    assert (again.forms, again.known) == (built.forms, built.known)
    assert again.restore("gore nece") == "görə necə"
    changed = AzRestorer.cached([*texts, "üçün"], cache, lexicon)  # other texts: built anew
    assert changed.restore("ucun") == "üçün"
    lexicon.write_text("görə\nbəli\n", encoding="utf-8")
    assert AzRestorer.cached([*texts, "üçün"], cache, lexicon).restore("beli") == "bəli"
    rebuilt = AzRestorer.from_texts(texts, lexicon)
    cache.write_bytes(b"damaged")
    assert AzRestorer.cached(texts, cache, lexicon).forms == rebuilt.forms
    assert AzRestorer.cached(texts, None, lexicon).forms == rebuilt.forms  # no cache at all


def _word_by_word(texts, lexicon):
    """The restorer's vocabulary counted one word at a time (how from_texts once did it): the
    oracle its counting over all the texts at once must equal, ties included."""
    from collections import Counter, defaultdict

    from retrieval.normalize import az_lower, clean, fold
    from retrieval.restore import _WORD, AZ_SPECIAL

    counts = defaultdict(Counter)
    known = set()
    for text in texts:
        for word in _WORD.findall(az_lower(clean(text))):
            known.add(fold(word))
            if any(ch in AZ_SPECIAL for ch in word):
                counts[fold(word)][word] += 1
    for word in lexicon.read_text(encoding="utf-8").split() if lexicon else []:
        word = az_lower(word.strip())
        if any(ch in AZ_SPECIAL for ch in word):
            counts[fold(word)][word] += 1
    forms = {key: c.most_common(1)[0][0] for key, c in counts.items()}
    return forms, frozenset(known | set(forms))


def test_the_vocabulary_is_counted_as_word_by_word_on_the_bundled_kb_and_on_ties(tmp_path):
    from knowledge.loader import load_knowledge_base
    from retrieval.restore import LEXICON

    kb = load_knowledge_base()
    texts = [
        part
        for a in kb.articles
        for part in [a.title["az"], a.sections["az"].body, *a.questions["az"], *a.keywords["az"]]
    ]
    built = AzRestorer.from_texts(texts, LEXICON)
    assert (built.forms, built.known) == _word_by_word(texts, LEXICON)
    # ties go to the form met first, across texts: "üçun" (2) before "üçün" (2) and the lexicon's "ucün" (1)
    lexicon = tmp_path / "words.txt"
    lexicon.write_text("ucün\n", encoding="utf-8")
    ties = ["üçun", "Üçün ÜÇÜN", "üçun", "İldə ILDƏ ildə"]
    tied = AzRestorer.from_texts(ties, lexicon)
    assert (tied.forms, tied.known) == _word_by_word(ties, lexicon)
    assert tied.restore("ucun") == "üçun" and tied.restore("ilde") == "ildə"
