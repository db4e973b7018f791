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
    for saved in (tmp_path / "cache").glob("vectors.*.npy"):  # the current generation's base
        saved.write_bytes(b"not numpy")
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


def _saved_then_loaded(folder, rows):
    """A cache of ``rows`` passages saved to ``folder`` (its base), read back."""
    embedder = HashingEmbedder(16)
    cache = PassageCache(embedder.name, embedder.dim)
    cache.encode([f"p {n}" for n in range(rows)], embedder)
    cache.save(folder)
    return embedder, PassageCache.load(folder, embedder)


def _files(directory):
    return {path.name: path.read_bytes() for path in directory.iterdir()}


def test_new_passages_are_appended_to_the_journal_and_the_base_is_left_alone(tmp_path):
    embedder = HashingEmbedder(16)
    cache = PassageCache(embedder.name, embedder.dim)
    base_texts = [f"passage {n}" for n in range(40)]
    cache.encode(base_texts, embedder)
    cache.save(tmp_path / "cache")  # no base yet: written whole
    before = _files(tmp_path / "cache")
    loaded = PassageCache.load(tmp_path / "cache", embedder)
    assert loaded.journal_rows == 0 and not loaded.wants_rewrite()
    loaded.encode(["new one", "passage 3", "new two"], embedder)
    assert loaded.journal_rows == 2
    loaded.save(tmp_path / "cache")
    after = _files(tmp_path / "cache")
    bases = [name for name in before if name.endswith(".npy")]
    assert bases and all(after[name] == before[name] for name in bases)
    journal = next(name for name in after if name.startswith("journal_vectors"))
    assert len(after[journal]) == 2 * 16 * 4
    counting = CountingEmbedder(16)
    again = PassageCache.load(tmp_path / "cache", counting)
    got = again.encode(["new two", "passage 0", "new one"], counting)
    assert counting.seen == [] and got.cached == 3
    np.testing.assert_array_equal(got.vectors, embedder.encode_passages(["new two", "passage 0", "new one"]))


def test_a_second_append_after_reload_keeps_both_journal_parts(tmp_path):
    embedder, _ = _saved_then_loaded(tmp_path / "cache", 50)
    for text in ("first", "second"):
        loaded = PassageCache.load(tmp_path / "cache", embedder)
        loaded.encode([text], embedder)
        loaded.save(tmp_path / "cache")
    counting = CountingEmbedder(16)
    final = PassageCache.load(tmp_path / "cache", counting)
    assert len(final) == 52 and final.journal_rows == 2
    assert final.encode(["first", "second"], counting).cached == 2 and counting.seen == []


def test_bytes_past_the_meta_count_are_ignored_and_then_overwritten(tmp_path):
    """A build killed after appending rows but before renaming the meta leaves them uncounted."""
    embedder = HashingEmbedder(16)
    cache = PassageCache(embedder.name, embedder.dim)
    cache.encode([f"p {n}" for n in range(30)], embedder)
    cache.save(tmp_path / "cache")
    for kind, size in (("keys", 16), ("vectors", 64)):
        (journal,) = (tmp_path / "cache").glob(f"journal_{kind}.*.bin")
        journal.write_bytes(b"\x07" * size * 3)  # three rows' worth of a half-done append
    loaded = PassageCache.load(tmp_path / "cache", embedder)
    assert len(loaded) == 30 and loaded.journal_rows == 0
    loaded.encode(["late"], embedder)
    loaded.save(tmp_path / "cache")
    (journal,) = (tmp_path / "cache").glob("journal_vectors.*.bin")
    assert journal.stat().st_size == 64  # the stale bytes were cut off
    counting = CountingEmbedder(16)
    got = PassageCache.load(tmp_path / "cache", counting).encode(["late", "p 1"], counting)
    assert counting.seen == []
    np.testing.assert_array_equal(got.vectors, embedder.encode_passages(["late", "p 1"]))


def test_a_journal_shorter_than_its_meta_gives_an_empty_cache(tmp_path):
    embedder, loaded = _saved_then_loaded(tmp_path / "cache", 30)
    loaded.encode(["x", "y"], embedder)
    loaded.save(tmp_path / "cache")
    (journal,) = (tmp_path / "cache").glob("journal_vectors.*.bin")
    journal.write_bytes(journal.read_bytes()[:64])  # one of two rows lost
    assert len(PassageCache.load(tmp_path / "cache", embedder)) == 0


def test_a_journal_past_a_tenth_of_the_base_asks_for_a_rewrite(tmp_path):
    from retrieval.passage_cache import COMPACT_SHARE

    embedder, loaded = _saved_then_loaded(tmp_path / "cache", 100)
    limit = int(COMPACT_SHARE * 100)
    loaded.encode([f"new {n}" for n in range(limit)], embedder)
    assert not loaded.wants_rewrite()
    loaded.encode(["one more"], embedder)
    assert loaded.wants_rewrite()
    loaded.keep_only(["p 1", "one more"], loaded.encode(["p 1", "one more"], embedder).vectors)
    loaded.save(tmp_path / "cache")
    names = {path.name for path in (tmp_path / "cache").iterdir()}
    generations = {name.split(".")[-2] for name in names if name.endswith((".npy", ".bin"))}
    assert len(generations) == 1  # the earlier generation's files are gone
    reread = PassageCache.load(tmp_path / "cache", embedder)
    assert len(reread) == 2 and reread.journal_rows == 0


def test_a_cache_of_the_first_format_is_read_and_then_rewritten(tmp_path):
    import json

    from retrieval.passage_cache import passage_key

    embedder = HashingEmbedder(16)
    texts = ["vergi", "pensiya"]
    folder = tmp_path / "cache"
    folder.mkdir()
    keys = np.frombuffer(b"".join(map(passage_key, texts)), dtype=np.uint8).reshape(-1, 16)
    np.save(folder / "keys.npy", keys)
    np.save(folder / "vectors.npy", embedder.encode_passages(texts).astype(np.float32))
    (folder / "meta.json").write_text(json.dumps({"format": 1, "embedder": embedder.name, "dim": 16}))
    counting = CountingEmbedder(16)
    loaded = PassageCache.load(folder, counting)
    assert loaded.encode(texts + ["new"], counting).cached == 2 and counting.seen == ["new"]
    loaded.save(folder)
    assert not (folder / "vectors.npy").exists()
    assert json.loads((folder / "meta.json").read_text())["format"] == 2
    assert len(PassageCache.load(folder, embedder)) == 3
