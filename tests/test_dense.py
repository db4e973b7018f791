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
