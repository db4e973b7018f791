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


def _unit_rows(rows, dim, seed):
    vectors = np.random.default_rng(seed).normal(size=(rows, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_an_update_shares_the_graph_unchanged_and_searches_the_added_rows_exactly():
    vectors = _unit_rows(61, 8, 2)
    remap = np.arange(30)
    remap[0] = -1  # article 0 changed: its old rows die, its new passage is added
    index = DenseIndex(8, hnsw_above=10).fit(vectors[:60], np.arange(60) // 2)
    graph = index.index
    updated = index.updated(remap, vectors[60:], [0])
    assert updated is not None and updated.size == 61 and updated.dead == 2
    assert updated.index is graph and graph.ntotal == 60  # shared, never added to
    assert updated.extra is not None and updated.extra.ntotal == 1 and index.extra is None
    assert updated.search(vectors[60], k=1)[0].chunk == 60  # the added row
    assert index.search(vectors[0], k=1)[0].chunk == 0  # the previous index reads as it did
    assert np.array_equal(updated.vectors(), vectors)
    # a second update copies the side index, never adds to the one the first update serves
    again = updated.updated(np.arange(30), vectors[:1], [5])
    assert again is not None and again.extra.ntotal == 2 and updated.extra.ntotal == 1


def test_a_kept_graph_with_added_rows_finds_what_an_exact_index_of_the_same_rows_finds():
    vectors = _unit_rows(200, 16, 4)
    kept = DenseIndex(16, hnsw_above=50).fit(vectors[:180], np.arange(180) // 3)
    remap = np.arange(60)
    remap[[4, 17, 33]] = -1  # three articles changed
    for step in (vectors[180:190], vectors[190:]):  # two updates, ten passages each
        kept = kept.updated(remap, step, [4, 17, 33, 4, 17, 33, 4, 17, 33, 4])
        assert kept is not None and kept.is_graph
        remap = np.arange(60)
        remap[4] = -1  # then article 4 again: its rows added by the first update die too
    exact = DenseIndex(16).fit(vectors, kept.chunk_doc)  # flat: exact; the same rows and dead rows
    assert not exact.is_graph and exact.dead == kept.dead == 9 + 4
    for row in range(0, 200, 3):
        for k in (1, 5, 20):
            got, want = kept.search(vectors[row], k=k), exact.search(vectors[row], k=k)
            # (scores to 1e-5, not rounded: two sums of one product may round either side of a digit)
            assert [h.doc for h in got] == [h.doc for h in want]
            assert [h.score for h in got] == pytest.approx([h.score for h in want], abs=1e-5)
    # past the share of added rows the graph is built anew
    assert kept.updated(np.arange(60), vectors[:5], [1, 2, 3, 4, 5]) is None


def test_an_unchanged_graph_is_saved_as_a_link_to_the_file_it_was_read_from(tmp_path):
    import os

    vectors = _unit_rows(61, 8, 5)
    DenseIndex(8, hnsw_above=10).fit(vectors[:60], np.arange(60) // 2).save(tmp_path / "a")
    loaded = DenseIndex.load(tmp_path / "a")
    loaded.hnsw_above = 10  # (a loaded index takes the default threshold)
    remap = np.arange(30)
    remap[3] = -1
    updated = loaded.updated(remap, vectors[60:], [3])
    updated.save(tmp_path / "b")
    graph_a, graph_b = tmp_path / "a" / "dense.faiss", tmp_path / "b" / "dense.faiss"
    assert os.stat(graph_a).st_ino == os.stat(graph_b).st_ino  # linked, not written again
    back = DenseIndex.load(tmp_path / "b")
    assert back.size == 61 and back.extra.ntotal == 1 and np.array_equal(back.vectors(), vectors)
    assert np.array_equal(back.chunk_doc, updated.chunk_doc)
    for row in range(0, 61, 4):
        assert back.search(vectors[row], k=3) == updated.search(vectors[row], k=3)
    # saved again over the link: the other folder's file is never written through
    before = graph_a.read_bytes()
    DenseIndex(8, hnsw_above=10).fit(vectors[:55], np.arange(55) // 2).save(tmp_path / "b")
    assert graph_a.read_bytes() == before and DenseIndex.load(tmp_path / "b").size == 55
    assert not (tmp_path / "b" / "dense_extra.faiss").exists()
    # the file read was replaced since: the graph is written, not linked to the other one
    DenseIndex(8, hnsw_above=10).fit(vectors[:50], np.arange(50) // 2).save(tmp_path / "a")
    updated.save(tmp_path / "c")
    graph_c = tmp_path / "c" / "dense.faiss"
    assert os.stat(graph_c).st_ino != os.stat(graph_a).st_ino
    assert DenseIndex.load(tmp_path / "c").search(vectors[7], k=3) == updated.search(vectors[7], k=3)


def test_a_damaged_side_index_is_refused(tmp_path):
    import faiss

    vectors = _unit_rows(61, 8, 6)
    loaded = DenseIndex(8, hnsw_above=10).fit(vectors[:60], np.arange(60) // 2)
    loaded.updated(np.arange(30), vectors[60:], [1]).save(tmp_path)
    faiss.write_index(faiss.IndexFlatIP(4), str(tmp_path / "dense_extra.faiss"))
    with pytest.raises(ValueError, match="flat index"):
        DenseIndex.load(tmp_path)
    (tmp_path / "dense_extra.faiss").unlink()
    with pytest.raises(ValueError, match="disagree"):
        DenseIndex.load(tmp_path)
