import numpy as np
import pytest

from retrieval.dense import DenseIndex


def unit(*values):
    v = np.array(values, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_article_scored_by_its_best_chunk():
    vectors = np.stack([unit(1, 0, 0), unit(0, 1, 0), unit(0.9, 0.1, 0), unit(0, 0, 1)])
    index = DenseIndex(3).fit(vectors, [0, 0, 1, 2])
    hits = index.search(unit(0, 1, 0), k=3)
    assert [h.doc for h in hits] == [0, 1, 2]
    assert hits[0].chunk == 1 and hits[0].score == pytest.approx(1.0)


def test_save_load_round_trip(tmp_path):
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(20, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = DenseIndex(8).fit(vectors, np.arange(20) // 2)
    index.save(tmp_path)
    loaded = DenseIndex.load(tmp_path)
    assert loaded.size == 20 and loaded.dim == 8
    assert loaded.search(vectors[5], k=4) == index.search(vectors[5], k=4)


def test_hnsw_above_threshold_still_finds_exact_match():
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(300, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = DenseIndex(16, hnsw_above=100).fit(vectors, np.arange(300))
    assert "HNSW" in type(index.index).__name__
    assert index.search(vectors[123], k=1)[0].doc == 123


def test_shape_errors():
    with pytest.raises(ValueError):
        DenseIndex(0)
    with pytest.raises(ValueError):
        DenseIndex(4).fit(np.zeros((2, 3), dtype=np.float32), [0, 1])
    with pytest.raises(ValueError):
        DenseIndex(3).fit(np.zeros((2, 3), dtype=np.float32), [0])
    with pytest.raises(RuntimeError):
        DenseIndex(3).search(np.zeros(3))


def _search_one_by_one(index, query, k, fan_out=8):
    """The search as a loop over the passages (what DenseIndex.search did before it was vectorised)."""
    n_chunks = min(index.size, max(k * fan_out, 64) + index.dead)
    scores, ids = index.index.search(query.reshape(1, -1), n_chunks)
    best = {}
    for score, chunk in zip(scores[0], ids[0]):
        doc = int(index.chunk_doc[chunk]) if chunk >= 0 else -1
        if doc >= 0 and doc not in best:
            best[doc] = (doc, float(score), int(chunk))
    return sorted(best.values(), key=lambda h: -h[1])[:k]


def test_search_keeps_each_articles_best_passage_skips_dead_rows_and_breaks_ties_by_rank():
    rng = np.random.default_rng(3)
    base = rng.normal(size=(40, 8)).astype(np.float32)
    vectors = np.concatenate([base, base, base[:10]])  # repeated vectors: tied scores
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    chunk_doc = rng.integers(0, 25, size=len(vectors))
    chunk_doc[::7] = -1  # dead rows, as a kept graph has them
    index = DenseIndex(8).fit(vectors, chunk_doc)
    assert index.dead == int(np.count_nonzero(chunk_doc < 0))
    for row in range(0, len(vectors), 5):
        for k in (1, 3, 10, 30):
            hits = index.search(vectors[row], k=k)
            assert [(h.doc, h.score, h.chunk) for h in hits] == _search_one_by_one(index, vectors[row], k)
            assert all(index.chunk_doc[h.chunk] == h.doc >= 0 for h in hits)
    index.chunk_doc = np.zeros(len(vectors), dtype=np.int64)  # a new map: the dead count follows it
    assert index.dead == 0


def test_a_serving_graph_is_copied_for_an_update_and_a_private_one_is_handed_on():
    rng = np.random.default_rng(2)
    vectors = rng.normal(size=(60, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    remap = np.arange(30)
    remap[0] = -1  # article 0 changed: its old rows die, its new passage is added
    for private in (False, True):
        index = DenseIndex(8, hnsw_above=10).fit(vectors, np.arange(60) // 2)
        index.private = private
        graph = index.index
        updated = index.updated(remap, vectors[:1], [0])
        assert updated is not None and updated.size == 61 and updated.dead == 2
        assert updated.search(vectors[0], k=1)[0].chunk == 60  # the added row, not the dead one
        if private:
            assert updated.index is graph and not index.private  # no copy; handed on once
        else:
            assert updated.index is not graph and graph.ntotal == 60  # readers see it unchanged
            assert index.search(vectors[0], k=1)[0].chunk == 0
