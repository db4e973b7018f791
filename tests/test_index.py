import pytest
from conftest import TINY_ARTICLES, article_text

from knowledge.loader import load_knowledge_base
from retrieval.embedders import HashingEmbedder
from retrieval.index import (
    IndexMissingError,
    IndexStaleError,
    article_chunks,
    build_index,
    count_chunks,
    load_index,
    read_meta,
    save_index,
)


def test_chunks_are_short_and_cover_every_language(tiny_kb):
    article = tiny_kb.by_topic["id-card"]
    chunks = article_chunks(article)
    for lang in ("az", "ru", "en"):
        assert article.title[lang] in chunks
    assert all(len(c) < 600 for c in chunks)
    assert count_chunks(tiny_kb) == sum(len(article_chunks(a)) for a in tiny_kb.articles)


def test_build_save_load_round_trip(tiny_kb, tmp_path):
    embedder = HashingEmbedder(64)
    progress = []
    index = build_index(tiny_kb, embedder, batch_size=5, progress=progress.append)
    assert sum(progress) == index.meta.chunks == index.dense.size
    save_index(index, tmp_path / "index")
    meta = read_meta(tmp_path / "index")
    assert (meta.embedder, meta.dim, meta.kb_hash) == (embedder.name, 64, tiny_kb.content_hash)
    loaded = load_index(tmp_path / "index", tiny_kb, embedder)
    q = embedder.encode_queries(["vergi borcu"])[0]
    assert loaded.dense.search(q, 2) == index.dense.search(q, 2)
    assert loaded.lexical.scores("vergi").tolist() == index.lexical.scores("vergi").tolist()


def test_missing_index_says_what_to_run(tiny_kb, tmp_path):
    with pytest.raises(IndexMissingError, match="run `helpdesk kb build`"):
        load_index(tmp_path / "nothing", tiny_kb, HashingEmbedder(64))


def test_changed_articles_make_the_index_stale(tiny_kb_paths, tmp_path):
    kb = load_knowledge_base(*tiny_kb_paths)
    save_index(build_index(kb, HashingEmbedder(64)), tmp_path / "index")
    articles, coverage = tiny_kb_paths
    sector, langs = TINY_ARTICLES["passport"]
    edited = dict(langs, en=("How do I renew a passport?", "passport", "Renew it at ASAN."))
    (articles / sector / "passport.md").write_text(article_text("passport", sector, edited), encoding="utf-8")
    changed = load_knowledge_base(articles, coverage)
    with pytest.raises(IndexStaleError, match="knowledge base changed.*helpdesk kb build"):
        load_index(tmp_path / "index", changed, HashingEmbedder(64))


def test_other_embedder_makes_the_index_stale(tiny_kb, tmp_path):
    save_index(build_index(tiny_kb, HashingEmbedder(64)), tmp_path / "index")
    with pytest.raises(IndexStaleError, match="built with fake:hashing-64"):
        load_index(tmp_path / "index", tiny_kb, HashingEmbedder(32))


def test_damaged_index_is_a_clear_error(tiny_kb, tmp_path):
    save_index(build_index(tiny_kb, HashingEmbedder(64)), tmp_path / "index")
    (tmp_path / "index" / "dense.faiss").write_bytes(b"garbage")
    with pytest.raises(IndexMissingError, match="damaged"):
        load_index(tmp_path / "index", tiny_kb, HashingEmbedder(64))
    (tmp_path / "index" / "meta.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(IndexMissingError, match="damaged"):
        read_meta(tmp_path / "index")


def test_save_replaces_an_old_index_whole(tiny_kb, tmp_path):
    data = tmp_path / "data"
    save_index(build_index(tiny_kb, HashingEmbedder(64)), data / "index")
    save_index(build_index(tiny_kb, HashingEmbedder(32)), data / "index")
    assert read_meta(data / "index").dim == 32
    assert sorted(p.name for p in data.iterdir()) == ["index"]  # no temp or .old left


def test_incremental_build_reembeds_exactly_the_changed_article(tiny_kb_paths, tmp_path):
    from retrieval.index import load_previous

    articles, coverage = tiny_kb_paths
    embedder = HashingEmbedder(64)
    first = build_index(load_knowledge_base(articles, coverage), embedder)
    assert len(first.report.new) == 4 and first.report.unchanged == 0
    save_index(first, tmp_path / "index")
    sector, langs = TINY_ARTICLES["passport"]
    edited = dict(langs, en=("How do I renew a passport?", "passport", "Renew it at ASAN."))
    (articles / sector / "passport.md").write_text(article_text("passport", sector, edited), encoding="utf-8")
    (articles / "taxes" / "tax-payment-online.md").unlink()
    kb = load_knowledge_base(articles, coverage)
    calls_before = embedder.calls
    second = build_index(kb, embedder, batch_size=1000, previous=load_previous(tmp_path / "index", embedder))
    report = second.report
    assert (report.changed, report.new, report.removed, report.unchanged) == (
        ["passport"],
        [],
        ["tax-payment-online"],
        2,
    )
    passport = article_chunks(kb.by_topic["passport"])
    # Each distinct passage once (the tiny articles' titles are also their example questions).
    assert report.embedded_passages == len(set(passport)) < len(passport)
    assert report.embedded_passages + report.repeated_passages == len(passport)
    assert embedder.calls - calls_before == 1  # one batch: the changed article only
    full = build_index(kb, embedder)
    q = embedder.encode_queries(["renew passport"])[0]
    assert second.dense.search(q, 3) == full.dense.search(q, 3)  # same result as a full build
    assert load_previous(tmp_path / "index", HashingEmbedder(32)) is None  # other embedder: none


QUERIES = ["vergi borcu", "renew passport", "şəxsiyyət vəsiqəsi", "налоговый долг", "card", "xyzzy"]


def _edit_passport(articles):
    sector, langs = TINY_ARTICLES["passport"]
    edited = dict(langs, en=("How do I renew a passport?", "passport renew", "Renew it at ASAN."))
    (articles / sector / "passport.md").write_text(article_text("passport", sector, edited), encoding="utf-8")


def _saved_then_passport_edited(tiny_kb_paths, index_dir, embedder):
    """The tiny KB's index saved, then the passport article edited: the KB as it now reads."""
    articles, coverage = tiny_kb_paths
    save_index(build_index(load_knowledge_base(articles, coverage), embedder), index_dir)
    _edit_passport(articles)
    return load_knowledge_base(articles, coverage)


def test_incremental_bm25_scores_as_a_full_fit_and_reuses_unchanged_rows(
    tiny_kb_paths, tmp_path, monkeypatch
):
    from retrieval import lexical
    from retrieval.index import load_previous

    embedder = HashingEmbedder(64)
    kb = _saved_then_passport_edited(tiny_kb_paths, tmp_path / "index", embedder)
    tokenized = []
    real = lexical.expand_terms
    monkeypatch.setattr(lexical, "expand_terms", lambda text, n: tokenized.append(text) or real(text, n))
    second = build_index(kb, embedder, previous=load_previous(tmp_path / "index", embedder))
    assert kb.by_topic["passport"].search_text() in tokenized
    assert not any(kb.by_topic["id-card"].search_text() == t for t in tokenized)  # reused, not re-read
    monkeypatch.setattr(lexical, "expand_terms", real)
    full = build_index(kb, embedder)
    for query in QUERIES:
        assert second.lexical.scores(query).tolist() == full.lexical.scores(query).tolist()


def test_an_index_of_the_older_format_is_stale_and_its_vectors_still_reused(tiny_kb, tmp_path):
    import json

    from retrieval.index import load_previous

    embedder = HashingEmbedder(64)
    save_index(build_index(tiny_kb, embedder), tmp_path / "index")
    meta_path = tmp_path / "index" / "meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta_path.write_text(json.dumps(dict(meta, format=2)), encoding="utf-8")
    bm25 = tmp_path / "index" / "bm25.json"
    old = json.loads(bm25.read_text(encoding="utf-8"))
    bm25.write_text(json.dumps({"k1": 1.2, "b": 0.75, "prefix_len": 5, "vocab": {}}), encoding="utf-8")
    with pytest.raises(IndexStaleError, match="format 2.*helpdesk kb build"):
        load_index(tmp_path / "index", tiny_kb, embedder)
    previous = load_previous(tmp_path / "index", embedder)
    assert previous is not None and previous.lexical.size == 0  # BM25 unreadable: re-fitted
    calls = embedder.calls
    rebuilt = build_index(tiny_kb, embedder, previous=previous)
    assert embedder.calls == calls and rebuilt.report.embedded_passages == 0  # vectors kept
    assert rebuilt.lexical.vocab and list(rebuilt.lexical.vocab) == old["terms"]
    save_index(rebuilt, tmp_path / "index")
    assert load_index(tmp_path / "index", tiny_kb, embedder).lexical.size == len(rebuilt.meta.article_ids)


def _as_if_large(monkeypatch, max_dead_share: float) -> None:
    """The tiny KB's dense index as if it were large: an HNSW graph, kept while its dead or added
    rows stay under ``max_dead_share``."""
    from retrieval import dense as dense_module

    monkeypatch.setattr(dense_module, "HNSW_ABOVE", 10)
    monkeypatch.setattr(dense_module, "MAX_DEAD_SHARE", max_dead_share)


def test_a_large_graph_is_kept_with_the_changed_article_added_and_its_old_rows_dead(
    tiny_kb_paths, tmp_path, monkeypatch
):
    from retrieval import dense as dense_module
    from retrieval.index import load_previous

    _as_if_large(monkeypatch, 0.5)
    articles, coverage = tiny_kb_paths
    embedder = HashingEmbedder(64)
    before = load_knowledge_base(articles, coverage)
    first = build_index(before, embedder)
    assert first.dense.is_graph and first.dense.dead == 0
    save_index(first, tmp_path / "index")
    _edit_passport(articles)
    kb = load_knowledge_base(articles, coverage)
    second = build_index(kb, embedder, previous=load_previous(tmp_path / "index", embedder))
    assert second.dense.dead == len(article_chunks(before.by_topic["passport"]))
    assert second.dense.size == first.dense.size + len(article_chunks(kb.by_topic["passport"]))
    assert second.meta.chunks == count_chunks(kb)
    save_index(second, tmp_path / "index")
    loaded = load_index(tmp_path / "index", kb, embedder)
    full = build_index(kb, embedder)
    for query in QUERIES:
        q = embedder.encode_queries([query])[0]
        hits = loaded.dense.search(q, 4)

        def ranked(found):  # (ties in score may come in either row order)
            return sorted((-round(h.score, 5), h.doc) for h in found)

        assert ranked(hits) == ranked(full.dense.search(q, 4))
        assert all(loaded.dense.chunk_doc[h.chunk] >= 0 for h in hits)  # never an old passage
    # past the share of dead rows the graph is built anew
    monkeypatch.setattr(dense_module, "MAX_DEAD_SHARE", 0.01)
    sector, langs = TINY_ARTICLES["id-card"]
    edited = dict(langs, en=("How do I get an ID card?", "id card", "At ASAN centres."))
    (articles / sector / "id-card.md").write_text(article_text("id-card", sector, edited), encoding="utf-8")
    third_kb = load_knowledge_base(articles, coverage)
    third = build_index(third_kb, embedder, previous=load_previous(tmp_path / "index", embedder))
    assert third.dense.dead == 0 and third.dense.size == third.meta.chunks
    # another embedder never shares a graph
    assert build_index(third_kb, HashingEmbedder(32), previous=loaded).dense.dead == 0


def test_a_kept_graph_reads_no_vectors_back_and_a_rebuild_gets_the_previous_ones_exactly(
    tiny_kb_paths, tmp_path, monkeypatch
):
    import numpy as np

    from retrieval import dense as dense_module
    from retrieval.index import load_previous
    from retrieval.passage_cache import PassageCache

    articles, coverage = tiny_kb_paths
    embedder = HashingEmbedder(64)
    save_index(build_index(load_knowledge_base(articles, coverage), embedder), tmp_path / "flat")
    monkeypatch.setattr(dense_module, "HNSW_ABOVE", 10)
    monkeypatch.setattr(dense_module, "MAX_DEAD_SHARE", 0.5)
    save_index(build_index(load_knowledge_base(articles, coverage), embedder), tmp_path / "graph")
    _edit_passport(articles)
    kb = load_knowledge_base(articles, coverage)
    reads = []

    def counted(previous):  # (faiss wraps reconstruct_n per index class)
        real = type(previous.dense.index).reconstruct_n
        monkeypatch.setattr(
            type(previous.dense.index), "reconstruct_n", lambda self, *a: reads.append(1) or real(self, *a)
        )
        return previous

    kept = build_index(kb, embedder, previous=counted(load_previous(tmp_path / "graph", embedder)))
    assert kept.dense.is_graph and kept.dense.dead > 0 and reads == []
    full = build_index(kb, embedder)
    full_vectors = full.dense.index.reconstruct_n(0, full.dense.size)
    reads.clear()
    # a flat previous index is built anew from its own vectors: the same as a full build's, bit for bit
    monkeypatch.setattr(dense_module, "HNSW_ABOVE", 50_000)
    rebuilt = build_index(kb, embedder, previous=counted(load_previous(tmp_path / "flat", embedder)))
    assert reads == [1] and rebuilt.report.unchanged == 3
    assert np.array_equal(rebuilt.dense.index.reconstruct_n(0, rebuilt.dense.size), full_vectors)
    assert np.array_equal(rebuilt.dense.chunk_doc, full.dense.chunk_doc)
    # a passage cache is given every vector of the build, the reused ones too
    cache = PassageCache(embedder.name, embedder.dim)
    build_index(kb, embedder, previous=load_previous(tmp_path / "graph", embedder), cache=cache)
    assert len(cache) == len({chunk for article in kb.articles for chunk in article_chunks(article)})
    # ... each the vector a full build gives that passage, bit for bit
    from retrieval.index import kb_documents

    texts = [chunk for doc in kb_documents(kb) for chunk in doc.chunks]
    calls = embedder.calls
    held = cache.encode(texts, embedder)
    assert embedder.calls == calls and held.embedded == 0
    assert np.array_equal(held.vectors, full_vectors)


def test_a_kept_graph_makes_the_passages_of_the_changed_article_only(tiny_kb_paths, tmp_path, monkeypatch):
    from retrieval import index as index_module
    from retrieval.index import load_previous

    _as_if_large(monkeypatch, 0.5)
    embedder = HashingEmbedder(64)
    kb = _saved_then_passport_edited(tiny_kb_paths, tmp_path / "index", embedder)
    made = []
    real = index_module.article_chunks
    monkeypatch.setattr(index_module, "article_chunks", lambda a: made.append(a.id) or real(a))
    previous = load_previous(tmp_path / "index", embedder)
    second = build_index(kb, embedder, previous=previous)
    assert made == ["passport"] and second.report.changed == ["passport"]
    assert second.meta.chunks == count_chunks(kb) == second.dense.size - second.dense.dead
    # an index of another format: every reused article's passages are made and counted first
    older = load_previous(tmp_path / "index", embedder)
    older.meta = index_module.IndexMeta(**{**older.meta.__dict__, "format": index_module.INDEX_FORMAT - 1})
    made.clear()
    build_index(kb, embedder, previous=older)
    assert sorted(made) == sorted(a.id for a in kb.articles)


def test_counting_passages_against_the_previous_index_makes_only_the_changed_articles(
    tiny_kb_paths, tmp_path, monkeypatch
):
    from retrieval import index as index_module
    from retrieval.index import load_previous

    _as_if_large(monkeypatch, 0.5)
    embedder = HashingEmbedder(64)
    kb = _saved_then_passport_edited(tiny_kb_paths, tmp_path / "index", embedder)
    everything = count_chunks(kb)
    made = []
    real = index_module.article_chunks
    monkeypatch.setattr(index_module, "article_chunks", lambda a: made.append(a.id) or real(a))
    assert count_chunks(kb, load_previous(tmp_path / "index", embedder)) == everything
    assert made == ["passport"]


def test_a_kept_graph_journals_its_new_passages_and_leaves_the_cache_base_alone(
    tiny_kb_paths, tmp_path, monkeypatch
):
    import numpy as np

    from retrieval.index import kb_documents, load_previous
    from retrieval.passage_cache import PassageCache

    _as_if_large(monkeypatch, 0.5)
    articles, coverage = tiny_kb_paths
    embedder = HashingEmbedder(64)
    cache = PassageCache(embedder.name, embedder.dim)
    save_index(
        build_index(load_knowledge_base(articles, coverage), embedder, cache=cache), tmp_path / "index"
    )
    cache.save(tmp_path / "cache")
    base_files = {p.name: p.read_bytes() for p in (tmp_path / "cache").glob("*.npy")}
    _edit_passport(articles)
    kb = load_knowledge_base(articles, coverage)
    loaded = PassageCache.load(tmp_path / "cache", embedder)
    monkeypatch.setattr(PassageCache, "keep_only", lambda *a: pytest.fail("the base was rewritten"))
    second = build_index(kb, embedder, previous=load_previous(tmp_path / "index", embedder), cache=loaded)
    assert loaded.journal_rows == second.report.embedded_passages > 0
    loaded.save(tmp_path / "cache")
    assert {p.name: p.read_bytes() for p in (tmp_path / "cache").glob("*.npy")} == base_files
    # every passage of the edited KB now comes from the cache, bit for bit as embedded
    texts = [chunk for doc in kb_documents(kb) for chunk in doc.chunks]
    calls = embedder.calls
    held = PassageCache.load(tmp_path / "cache", embedder).encode(texts, embedder)
    assert embedder.calls == calls and held.embedded == 0
    assert np.array_equal(held.vectors, embedder.encode_passages(texts))


def test_two_changes_absorbed_into_a_kept_graph_answer_as_a_full_rebuild_and_reuse_its_file(
    tiny_kb_paths, tmp_path, monkeypatch
):
    import os

    from retrieval.index import load_previous
    from retrieval.search import HybridSearcher

    _as_if_large(monkeypatch, 0.6)
    articles, coverage = tiny_kb_paths
    embedder = HashingEmbedder(64)
    index_dir = tmp_path / "index"
    save_index(build_index(load_knowledge_base(articles, coverage), embedder), index_dir)
    graph_file = os.stat(index_dir / "dense.faiss").st_ino
    sector, langs = TINY_ARTICLES["id-card"]
    edits = [
        lambda: _edit_passport(articles),
        lambda: (articles / sector / "id-card.md").write_text(
            article_text("id-card", sector, dict(langs, en=("ID card?", "id card", "At ASAN."))),
            encoding="utf-8",
        ),
    ]
    for edit in edits:
        edit()
        kb = load_knowledge_base(articles, coverage)
        second = build_index(kb, embedder, previous=load_previous(index_dir, embedder))
        assert second.report.embedded_passages > 0 and second.dense.extra is not None
        save_index(second, index_dir)
        assert os.stat(index_dir / "dense.faiss").st_ino == graph_file  # the graph not written again
        loaded = HybridSearcher(kb, load_index(index_dir, kb, embedder), embedder)
        full = HybridSearcher(kb, build_index(kb, embedder), embedder)
        for query in QUERIES:
            for lang in ("az", "ru", "en"):
                got, want = loaded.search(query, lang=lang), full.search(query, lang=lang)
                assert [h.article_id for h in got.hits] == [h.article_id for h in want.hits]
                assert [h.score for h in got.hits] == pytest.approx([h.score for h in want.hits], abs=1e-5)


def test_every_vector_of_a_build_is_its_pieces_and_the_previous_rows_in_order():
    import numpy as np

    from retrieval.dense import DenseIndex, gather_vectors

    rng = np.random.default_rng(9)
    previous_vectors = rng.normal(size=(2000, 8)).astype(np.float32)
    previous = DenseIndex(8).fit(previous_vectors, np.zeros(2000))
    for shuffled in (False, True):  # long runs of consecutive rows (copied by slices), or scattered
        rows_of = np.arange(2000) if not shuffled else rng.permutation(2000)
        groups = np.split(rows_of, [700, 710, 1500, 1990])  # five articles, the second changed
        pieces = [None, rng.normal(size=(4, 8)).astype(np.float32), None, None, None]
        rows = {n: groups[n] for n in (0, 2, 3, 4)}
        want = np.concatenate([previous_vectors[groups[n]] if p is None else p for n, p in enumerate(pieces)])
        got = gather_vectors(previous, pieces, rows, 8)
        assert got.dtype == np.float32 and np.array_equal(got, want)
    assert gather_vectors(None, [], {}, 8).shape == (0, 8)
