import pytest
from conftest import modules_loaded_by

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


QUERIES = [
    "vergi borcumu nece yoxlayim",
    "shexsiyyet vesiqesi",
    "налоговый долг кабинет",
    "ASAN xidmət vəsiqə",
    "kabinet",
    "xyzzy",
]


def _reference_scores(docs, query, k1=1.2, b=0.75, prefix_len=5):
    """Okapi BM25 written out term by term: what the matrices must reproduce."""
    import math
    from collections import Counter

    counts = [Counter(expand_terms(d, prefix_len)) for d in docs]
    avg = sum(sum(c.values()) for c in counts) / len(docs)
    terms = set(expand_terms(query, prefix_len))
    out = []
    for c in counts:
        length = sum(c.values())
        score = 0.0
        for t in terms:
            if c[t]:
                df = sum(1 for other in counts if other[t])
                idf = math.log1p((len(docs) - df + 0.5) / (df + 0.5))
                score += idf * c[t] * (k1 + 1) / (c[t] + k1 * (1 - b + b * length / avg))
        out.append(score)
    return out


def test_scores_are_okapi_bm25_over_the_expanded_terms():
    index = BM25Index().fit(DOCS)
    for query in QUERIES:
        assert index.scores(query) == pytest.approx(_reference_scores(DOCS, query), rel=1e-6, abs=1e-7)


def test_loaded_index_scores_exactly_as_the_fitted_one(tmp_path):
    index = BM25Index().fit(DOCS * 3 + ["vergi vergi vergi borcu", ""])
    index.save(tmp_path)
    loaded = BM25Index.load(tmp_path)
    assert loaded.vocab == index.vocab
    for query in QUERIES:
        assert loaded.scores(query).tolist() == index.scores(query).tolist()


def test_refit_with_reused_rows_equals_a_full_fit_on_the_changed_corpus(tmp_path):
    old_docs = DOCS + ["Pensiya arayışı e-sosial.az saytında", "Kabinet parolu bərpa"]
    BM25Index().fit(old_docs).save(tmp_path)
    previous = BM25Index.load(tmp_path)  # as a build finds it on disk
    # doc 1 changed, doc 4 removed, one new doc at the end; the others are reused by row
    new_docs = [old_docs[0], "Şəxsiyyət vəsiqəsi itirildikdə yenisi", old_docs[2], old_docs[3], "Yeni vergi"]
    reuse = [0, None, 2, 3, None]
    texts = [None if row is not None else doc for doc, row in zip(new_docs, reuse)]
    updated = BM25Index().refit(previous, texts, reuse)
    full = BM25Index().fit(new_docs)
    assert updated.vocab == full.vocab  # "parolu" (only in the removed doc) is gone from both
    assert "parolu" not in updated.vocab
    for query in QUERIES + ["pensiya arayisi", "parolu"]:
        assert updated.scores(query).tolist() == full.scores(query).tolist()
    assert (updated.weights != full.weights).nnz == 0


def test_refit_refuses_other_settings_and_missing_text():
    previous = BM25Index(k1=1.5).fit(DOCS)
    with pytest.raises(ValueError, match="same k1"):
        BM25Index().refit(previous, [None], [0])
    with pytest.raises(ValueError, match="without text"):
        BM25Index(k1=1.5).refit(previous, [None], [None])


def test_an_older_saved_format_is_refused_not_misread(tmp_path):
    import json

    BM25Index().fit(DOCS).save(tmp_path)
    meta = json.loads((tmp_path / "bm25.json").read_text(encoding="utf-8"))
    old = {"k1": meta["k1"], "b": meta["b"], "prefix_len": meta["prefix_len"], "vocab": {"vergi": 0}}
    (tmp_path / "bm25.json").write_text(json.dumps(old), encoding="utf-8")  # format 2 had no "format"
    with pytest.raises(ValueError, match="format 2"):
        BM25Index.load(tmp_path)


def test_russian_question_finds_a_document_with_an_azerbaijani_cyrillic_line():
    document = "Vergi borcu\nВерҝи борҹуму нечә јохлајым\nПроверить налоговый долг в личном кабинете"
    index = BM25Index().fit([document, "Şəxsiyyət vəsiqəsi ASAN Xidmətdə verilir"])
    hits = index.search("налоговый долг")
    assert hits and hits[0].doc == 0 and hits[0].score > 0


def test_scores_are_scipys_to_the_bit_and_need_no_scipy(tmp_path):
    """Answering adds up the CSC columns in numpy; scipy's weights[:, ids].sum(axis=1) gives the same bits."""

    import numpy as np
    from scipy import sparse

    docs = DOCS * 4 + ["vergi vergi vergi borcu", "", "kabinet " * 50, "Pensiya arayışı e-sosial.az saytında"]
    index = BM25Index().fit(docs)
    weights = index.weights
    assert isinstance(weights, sparse.csc_matrix) and weights.has_sorted_indices
    queries = QUERIES + ["kabinet vergi pensiya arayisi", "vergi " * 30, "", "nothing matches this"]
    for query in queries:
        ids = sorted({index.vocab[t] for t in expand_terms(query, index.prefix_len) if t in index.vocab})
        theirs = np.asarray(weights[:, ids].sum(axis=1)).ravel().astype(np.float32)
        assert index.scores(query).tobytes() == theirs.tobytes(), query
    index.save(tmp_path)
    assert (sparse.load_npz(tmp_path / "bm25_weights.npz") != weights).nnz == 0  # scipy's layout
    code = (
        "from pathlib import Path; from retrieval.lexical import BM25Index; "
        f"BM25Index.load(Path({str(tmp_path)!r})).search('vergi borcu')"
    )
    assert modules_loaded_by(code, ("scipy",)) == []


def test_damaged_weights_are_refused(tmp_path):
    import numpy as np

    BM25Index().fit(DOCS).save(tmp_path)
    with np.load(tmp_path / "bm25_weights.npz") as arrays:
        saved = dict(arrays)
    np.savez(tmp_path / "bm25_weights.npz", **{**saved, "indptr": saved["indptr"][:-1]})
    with pytest.raises(ValueError, match="disagree"):
        BM25Index.load(tmp_path)
    np.savez(tmp_path / "bm25_weights.npz", **{**saved, "format": np.array(b"csr")})
    with pytest.raises(ValueError, match="not CSC"):
        BM25Index.load(tmp_path)


def test_top_k_is_the_stable_full_sort_even_with_ties_at_the_boundary():
    import numpy as np

    from retrieval.lexical import top_k

    rng = np.random.default_rng(5)
    for size in (0, 1, 5, 50, 1000):
        scores = rng.integers(0, 6, size=size).astype(np.float32)  # many ties
        for k in (0, 1, 3, 10, 30, 2000):
            assert top_k(scores, k).tolist() == np.argsort(-scores, kind="stable")[:k].tolist()
