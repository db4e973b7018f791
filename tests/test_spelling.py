"""TypoCorrector reads an unknown word as the known word one edit away, and leaves grammar alone."""

import pytest

from retrieval.lexical import BM25Index
from retrieval.spelling import TypoCorrector, one_edit

DOCS = [
    "mortgage with state support for young families approval in days",
    "who is eligible for the mortgage loan",
    "change the address of a chapter registration",
    "пособие по временной нетрудоспособности",
    "vergi borcunu yoxlamaq",
]


@pytest.fixture
def index() -> BM25Index:
    return BM25Index().fit(DOCS)


def test_one_edit_keeps_the_first_letter_and_the_alphabet():
    edits = set(one_edit("mortage"))
    assert {"mortgage", "motage", "omrtage"} & edits == {"mortgage", "motage"}  # the first letter stays
    assert "mortgae" in edits and "mortagf" in edits  # a swap and a wrong letter
    assert all(e.isascii() for e in edits)
    assert "пособие" in set(one_edit("пособе")) and all(not e.isascii() for e in one_edit("пособе"))


@pytest.mark.parametrize(
    "typed, meant",
    [("mortage", "mortgage"), ("elegible", "eligible"), ("aproval", "approval"), ("пасобие", "пособие")],
)
def test_a_word_one_edit_from_a_known_word_is_read_as_it(index, typed, meant):
    assert index.typos.correct(typed) == meant


@pytest.mark.parametrize(
    "token",
    [
        "mortgage",  # known
        "mortgages",  # a known stem with an ending: grammar, not a typo
        "borcumuzu",  # likewise in Azerbaijani
        "xyzzyq",  # nothing one edit away
        "ortgage",  # the first letter is never the typo
        "supp",  # too short to guess
    ],
)
def test_known_words_stems_and_hopeless_words_are_left_alone(index, token):
    assert index.typos.correct(token) is None


def test_the_word_in_more_documents_wins_a_tie():
    frequency = {"cart": 1, "card": 5}
    typos = TypoCorrector(frequency.__contains__, frequency.__getitem__, prefix_len=0, min_len=4)
    assert typos.correct("carx") == "card"


def test_a_mistyped_question_finds_its_document_only_when_correction_is_on(index):
    assert index.search("mortage aproval")[0].doc == 0
    index.correct_typos = False
    assert index.search("mortage aproval") == []


def test_a_refit_reads_typos_against_the_new_words(index):
    assert index.typos.correct("drne") is None
    refit = BM25Index().refit(index, [*DOCS, "drone registration"], [0, 1, 2, 3, 4, None])
    assert refit.typos.correct("dronee") == "drone"


def test_config_is_checked():
    with pytest.raises(ValueError):
        TypoCorrector(lambda w: False, lambda w: 0, min_len=2)
