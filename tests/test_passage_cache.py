import numpy as np
import pytest
from conftest import TINY_ARTICLES, article_text

from knowledge.loader import load_knowledge_base
from retrieval.embedders import HashingEmbedder
from retrieval.index import build_index, count_chunks, kb_documents
from retrieval.passage_cache import PassageCache


class CountingEmbedder(HashingEmbedder):
    """The hashing embedder, remembering every passage text it was asked to embed."""

    def __init__(self, dim: int = 64) -> None:
        super().__init__(dim)
        self.seen: list[str] = []

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        self.seen += texts
        return super().encode_passages(texts)


def test_each_distinct_text_goes_to_the_encoder_once():
    embedder = CountingEmbedder()
    cache = PassageCache(embedder.name, embedder.dim)
    progress: list[int] = []
    encoded = cache.encode(
        ["a b", "c d", "a b", "e f", "c d"], embedder, batch_size=2, progress=progress.append
    )
    assert embedder.seen == ["a b", "c d", "e f"]
    assert (encoded.embedded, encoded.cached, encoded.repeated) == (3, 0, 2)
    assert sum(progress) == 5
    np.testing.assert_array_equal(encoded.vectors[0], encoded.vectors[2])
    np.testing.assert_array_equal(
        encoded.vectors, embedder.encode_passages(["a b", "c d", "a b", "e f", "c d"])
    )


def test_a_saved_cache_spares_the_encoder_and_gives_the_same_vectors(tmp_path):
    embedder = CountingEmbedder()
    cache = PassageCache(embedder.name, embedder.dim)
    first = cache.encode(["vergi borcu", "pensiya"], embedder).vectors
    cache.save(tmp_path / "cache")
    again = CountingEmbedder()
    loaded = PassageCache.load(tmp_path / "cache", again)
    encoded = loaded.encode(["pensiya", "vergi borcu", "yeni"], again)
    assert again.seen == ["yeni"]
    assert (encoded.embedded, encoded.cached) == (1, 2)
    np.testing.assert_array_equal(encoded.vectors[:2], first[::-1])


def test_another_embedder_or_a_damaged_cache_starts_empty(tmp_path):
    embedder = HashingEmbedder(64)
    cache = PassageCache(embedder.name, embedder.dim)
    cache.encode(["a", "b"], embedder)
    cache.save(tmp_path / "cache")
    assert len(PassageCache.load(tmp_path / "cache", HashingEmbedder(32))) == 0
    assert len(PassageCache.load(tmp_path / "nothing", embedder)) == 0
    (tmp_path / "cache" / "vectors.npy").write_bytes(b"not numpy")
    assert len(PassageCache.load(tmp_path / "cache", embedder)) == 0
    with pytest.raises(ValueError, match="holds fake:hashing-64"):
        cache.encode(["a"], HashingEmbedder(32))


def test_a_key_ending_in_zero_bytes_survives_the_round_trip(tmp_path, monkeypatch):
    from retrieval import passage_cache

    monkeypatch.setattr(passage_cache, "passage_key", lambda text: text.encode().ljust(16, b"\0"))
    embedder = HashingEmbedder(64)
    cache = PassageCache(embedder.name, embedder.dim)
    cache.encode(["ab"], embedder)
    cache.save(tmp_path / "cache")
    counting = CountingEmbedder()
    assert PassageCache.load(tmp_path / "cache", counting).encode(["ab"], counting).cached == 1


def test_a_full_rebuild_with_the_cache_embeds_nothing_and_matches(tiny_kb, tmp_path):
    embedder = CountingEmbedder()
    cache = PassageCache(embedder.name, embedder.dim)
    first = build_index(tiny_kb, embedder, cache=cache)
    distinct = len(set(embedder.seen))
    assert len(embedder.seen) == distinct == first.report.embedded_passages
    assert first.report.embedded_passages + first.report.repeated_passages == count_chunks(tiny_kb)
    cache.save(tmp_path / "cache")
    rebuilt_with = CountingEmbedder()
    second = build_index(tiny_kb, rebuilt_with, cache=PassageCache.load(tmp_path / "cache", rebuilt_with))
    assert rebuilt_with.seen == []
    assert second.report.embedded_passages == 0 and second.report.cached_passages == distinct
    query = embedder.encode_queries(["vergi borcu"])[0]
    assert second.dense.search(query, 3) == first.dense.search(query, 3)


def test_one_edited_paragraph_is_the_only_passage_embedded(tiny_kb_paths, tmp_path):
    articles, coverage = tiny_kb_paths
    embedder = CountingEmbedder()
    cache = PassageCache(embedder.name, embedder.dim)
    build_index(load_knowledge_base(articles, coverage), embedder, cache=cache)
    sector, langs = TINY_ARTICLES["passport"]
    title, keywords, _body = langs["en"]
    edited = dict(langs, en=(title, keywords, "Renew it at any ASAN service centre."))
    (articles / sector / "passport.md").write_text(article_text("passport", sector, edited), encoding="utf-8")
    embedder.seen.clear()
    # No previous index (as `kb build --full`): only the cache keeps the unchanged passages.
    report = build_index(load_knowledge_base(articles, coverage), embedder, cache=cache).report
    assert embedder.seen == [f"{title}\nRenew it at any ASAN service centre."]
    assert report.embedded_passages == 1 and "from the cache" in report.summary()
    # It now holds this build's passages only: the old paragraph is gone.
    kb = load_knowledge_base(articles, coverage)
    assert len(cache) == len({chunk for doc in kb_documents(kb) for chunk in doc.chunks})


class BatchRecordingEmbedder(HashingEmbedder):
    def __init__(self, dim: int = 16) -> None:
        super().__init__(dim)
        self.batches: list[int] = []

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        self.batches.append(len(texts))
        return super().encode_passages(texts)


def test_a_build_sends_the_measured_batch_size_to_the_encoder():
    from retrieval.passage_cache import BUILD_BATCH

    embedder = BatchRecordingEmbedder()
    texts = [f"passage {n}" for n in range(BUILD_BATCH * 2 + 5)]
    PassageCache(embedder.name, embedder.dim).encode(texts, embedder)
    assert embedder.batches == [BUILD_BATCH, BUILD_BATCH, 5]
    assert BUILD_BATCH >= 64  # smaller calls cost measurably more per passage (README "Speed")
