import pytest

from retrieval.lexical import BM25Index, expand_terms

DOCS = [
    "Vergi borcunu şəxsi kabinetdə yoxlayın",
    "Şəxsiyyət vəsiqəsi ASAN Xidmətdə verilir",
    "Проверить налоговый долг в личном кабинете",
]


def test_folded_query_finds_written_document():
    index = BM25Index().fit(DOCS)
    hits = index.search("shexsiyyet vesiqesi")
    assert hits[0].doc == 1 and hits[0].score > 0


def test_suffix_prefixes_match_inflected_forms():
    index = BM25Index(prefix_len=5).fit(DOCS)
    assert index.search("vergi borcumu")[0].doc == 0
    assert index.search("налоговая задолженность")[0].doc == 2
    no_prefix = BM25Index(prefix_len=0).fit(DOCS)
    assert not no_prefix.search("налоговая")  # only the prefix term links налоговая/налоговый


def test_rare_terms_weigh_more_than_common_ones():
    index = BM25Index().fit(["kabinet vergi", "kabinet pasport", "kabinet vəsiqə"])
    scores = index.scores("kabinet pasport")
    assert scores.argmax() == 1
    assert scores[0] > 0 and scores[1] > 2 * scores[0]


def test_no_match_and_empty_query():
    index = BM25Index().fit(DOCS)
    assert index.search("xyzzy") == []
    assert index.search("") == []
    assert index.scores("🙂").sum() == 0


def test_save_load_round_trip(tmp_path):
    index = BM25Index(k1=1.5, b=0.6).fit(DOCS)
    index.save(tmp_path)
    loaded = BM25Index.load(tmp_path)
    assert (loaded.k1, loaded.b, loaded.prefix_len) == (1.5, 0.6, 5)
    assert loaded.scores("vergi borcu").tolist() == index.scores("vergi borcu").tolist()


def test_config_checked_and_empty_index_refuses():
    with pytest.raises(ValueError):
        BM25Index(k1=0)
    with pytest.raises(ValueError):
        BM25Index(b=2)
    with pytest.raises(RuntimeError):
        BM25Index().scores("x")


def test_expand_terms_marks_prefixes():
    assert expand_terms("borcumu", 5) == ["borcumu", "~borcu"]
    assert expand_terms("borc", 5) == ["borc"]
