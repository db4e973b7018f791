"""The knowledge-base parse cache: unchanged files are not parsed again; nothing stale is trusted."""

import dataclasses
import pickle
from pathlib import Path

import pytest
from conftest import TINY_ARTICLES, article_text

from knowledge import loader
from knowledge.cache import ParseCache, shard_of, shards_dir
from knowledge.loader import ArticleError, load_knowledge_base


@pytest.fixture
def parsed(monkeypatch):
    """The paths parse_article was called for."""
    calls = []
    real = loader.parse_article

    def counting(path, *args, **kwargs):
        calls.append(path.stem)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(loader, "parse_article", counting)
    return calls


def _entries(cache):
    """Every article entry in the shard files, path -> (digest, article)."""
    entries = {}
    for shard in sorted(shards_dir(cache).glob("*.pickle")):
        entries.update(pickle.loads(shard.read_bytes())["articles"])
    return entries


def _rewrite_entries(cache, changes):
    """Put ``changes`` (path -> entry) into the shard files that hold them, keeping their header."""
    for path, entry in changes.items():
        shard = shards_dir(cache) / f"{shard_of(path)}.pickle"
        data = pickle.loads(shard.read_bytes())
        data["articles"][path] = entry
        shard.write_bytes(pickle.dumps(data))


def _edit(articles, topic="passport", body="Renew it at an ASAN centre."):
    sector, langs = TINY_ARTICLES[topic]
    edited = dict(langs, en=("How do I renew a passport?", "passport", body))
    (articles / sector / f"{topic}.md").write_text(article_text(topic, sector, edited), encoding="utf-8")


def test_unchanged_files_come_from_the_cache_and_give_the_same_kb(tiny_kb_paths, tmp_path, parsed):
    articles, coverage = tiny_kb_paths
    cache = tmp_path / "data" / "kb_parse_cache.pickle"
    first = load_knowledge_base(articles, coverage, cache_file=cache)
    assert len(parsed) == 4 and cache.is_file()
    parsed.clear()
    second = load_knowledge_base(articles, coverage, cache_file=cache)
    assert parsed == []
    assert second.articles == first.articles and second.content_hash == first.content_hash
    assert second.articles == load_knowledge_base(articles, coverage).articles  # as without a cache
    parsed.clear()
    _edit(articles)
    third = load_knowledge_base(articles, coverage, cache_file=cache)
    assert parsed == ["passport"]  # only the changed file
    assert third.by_topic["passport"].sections["en"].body == "Renew it at an ASAN centre."
    assert third.content_hash != first.content_hash


def test_a_damaged_cache_is_ignored_and_rewritten(tiny_kb_paths, tmp_path, parsed):
    articles, coverage = tiny_kb_paths
    cache = tmp_path / "kb_parse_cache.pickle"
    for garbage in (b"", b"not a pickle", pickle.dumps(["a", "list"]), pickle.dumps({"version": 1})):
        cache.write_bytes(garbage)
        parsed.clear()
        kb = load_knowledge_base(articles, coverage, cache_file=cache)
        assert len(parsed) == 4 and len(kb.articles) == 4
    parsed.clear()
    load_knowledge_base(articles, coverage, cache_file=cache)
    assert parsed == []  # the rewritten cache serves


def test_an_entry_that_does_not_match_its_file_is_not_trusted(tiny_kb_paths, tmp_path, parsed):
    articles, coverage = tiny_kb_paths
    cache_file = tmp_path / "kb_parse_cache.pickle"
    load_knowledge_base(articles, coverage, cache_file=cache_file)
    entries = _entries(cache_file)
    passport, id_card = str(articles / "identity" / "passport.md"), str(articles / "identity" / "id-card.md")
    tax = str(articles / "taxes" / "tax-debt-check.md")
    digest, article = entries[passport]
    # right file digest, but an article of other content; and one that belongs to another file
    forged = dataclasses.replace(article, title={"az": "Saxta", "ru": "Фальшивка", "en": "Forged"})
    other = dataclasses.replace(forged, content_hash="0" * 16)
    _rewrite_entries(
        cache_file,
        {
            passport: (digest, forged, "extra"),
            id_card: (entries[id_card][0], other),
            tax: (entries[tax][0], article),  # wrong path
        },
    )
    parsed.clear()
    kb = load_knowledge_base(articles, coverage, cache_file=cache_file)
    assert sorted(parsed) == ["id-card", "passport", "tax-debt-check"]  # all three parsed anew
    assert kb.by_topic["passport"].title["en"] != "Forged"
    assert kb.articles == load_knowledge_base(articles, coverage).articles


def test_a_changed_coverage_or_domain_list_makes_every_entry_stale(tiny_kb_paths, tmp_path, parsed):
    articles, coverage = tiny_kb_paths
    cache = tmp_path / "kb_parse_cache.pickle"
    load_knowledge_base(articles, coverage, cache_file=cache)
    parsed.clear()
    load_knowledge_base(articles, coverage, ("e-gov.az", "gov.az"), cache_file=cache)
    assert len(parsed) == 4
    text = coverage.read_text(encoding="utf-8")
    coverage.write_text(text.replace("  - {id: passport,", "  - {id: passport-gone,"), encoding="utf-8")
    with pytest.raises(ArticleError, match="unknown topic 'passport'"):  # validated again, not cached
        load_knowledge_base(articles, coverage, cache_file=cache)


def test_a_broken_file_is_never_cached(tiny_kb_paths, tmp_path):
    articles, coverage = tiny_kb_paths
    cache = tmp_path / "kb_parse_cache.pickle"
    load_knowledge_base(articles, coverage, cache_file=cache)
    (articles / "identity" / "passport.md").write_text("---\nid: [broken\n---\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(ArticleError, match="broken YAML"):
            load_knowledge_base(articles, coverage, cache_file=cache)
    assert ParseCache.open(cache, "").articles == {}  # another context reads as empty


def test_removed_files_leave_the_cache(tiny_kb_paths, tmp_path):
    articles, coverage = tiny_kb_paths
    cache = tmp_path / "kb_parse_cache.pickle"
    load_knowledge_base(articles, coverage, cache_file=cache)
    (articles / "taxes" / "tax-payment-online.md").unlink()
    load_knowledge_base(articles, coverage, cache_file=cache)
    assert not any("tax-payment-online" in p for p in _entries(cache))


def test_the_service_directory_is_cached_until_one_of_its_files_changes(tmp_path, monkeypatch):
    import shutil

    from knowledge import cache as cache_module
    from knowledge.loader import DEFAULT_ARTICLES_DIR, DEFAULT_COVERAGE

    shutil.copytree(DEFAULT_ARTICLES_DIR, tmp_path / "kb" / "articles")
    shutil.copytree(DEFAULT_ARTICLES_DIR.parent / "directory", tmp_path / "kb" / "directory")
    articles, cache = tmp_path / "kb" / "articles", tmp_path / "kb_parse_cache.pickle"
    reads = []
    real = cache_module.load_directory
    monkeypatch.setattr(cache_module, "load_directory", lambda *a, **k: reads.append(1) or real(*a, **k))
    first = load_knowledge_base(articles, DEFAULT_COVERAGE, cache_file=cache)
    second = load_knowledge_base(articles, DEFAULT_COVERAGE, cache_file=cache)
    assert len(reads) == 1 and second.directory == first.directory
    assert second.content_hash == load_knowledge_base(articles, DEFAULT_COVERAGE).content_hash
    one = sorted((tmp_path / "kb" / "directory").glob("*.yaml"))[0]
    one.write_text(one.read_text(encoding="utf-8") + "\n# an editor's note\n", encoding="utf-8")
    load_knowledge_base(articles, DEFAULT_COVERAGE, cache_file=cache)
    assert len(reads) == 3  # two without a cache hit (the plain load above, then the change)


def test_the_settings_put_the_cache_in_the_data_folder_unless_it_is_switched_off(tiny_settings):
    from bot.config import Settings
    from bot.wiring import knowledge_base

    knowledge_base(tiny_settings)
    assert tiny_settings.parse_cache_file == tiny_settings.data_dir / "kb_parse_cache.pickle"
    assert tiny_settings.parse_cache_file.is_file()
    tiny_settings.parse_cache_file.unlink()
    off = Settings(_env_file=None, **{**tiny_settings.model_dump(), "parse_cache": False})
    knowledge_base(off)
    assert off.parse_cache_file is None and not (tiny_settings.data_dir / "kb_parse_cache.pickle").exists()


def _stamps(cache):
    files = [cache, *sorted(shards_dir(cache).glob("*.pickle"))]
    return {f.name: (f.stat().st_ino, f.stat().st_mtime_ns) for f in files}


def test_an_unchanged_cache_is_not_rewritten(tiny_kb_paths, tmp_path, parsed):
    articles, coverage = tiny_kb_paths
    cache = tmp_path / "kb_parse_cache.pickle"
    load_knowledge_base(articles, coverage, cache_file=cache)
    before = _stamps(cache)
    assert len(before) > 1  # the head and the article shards
    load_knowledge_base(articles, coverage, cache_file=cache)
    assert _stamps(cache) == before  # no file replaced, none touched
    assert not list(shards_dir(cache).glob(".kb-cache-*")) and not list(tmp_path.glob(".kb-cache-*"))


def test_one_changed_article_rewrites_only_its_shard_and_is_found_after_a_reload(
    tiny_kb_paths, tmp_path, parsed
):
    articles, coverage = tiny_kb_paths
    cache = tmp_path / "kb_parse_cache.pickle"
    load_knowledge_base(articles, coverage, cache_file=cache)
    before = _stamps(cache)
    _edit(articles)
    load_knowledge_base(articles, coverage, cache_file=cache)
    after = _stamps(cache)
    changed = {name for name in before if after.get(name) != before[name]}
    assert changed == {f"{shard_of(str(articles / 'identity' / 'passport.md'))}.pickle"}
    parsed.clear()
    reloaded = load_knowledge_base(articles, coverage, cache_file=cache)
    assert parsed == []  # the new entry is read back from its shard
    assert reloaded.by_topic["passport"].sections["en"].body == "Renew it at an ASAN centre."
    assert reloaded.articles == load_knowledge_base(articles, coverage).articles


def test_a_torn_shard_is_ignored_and_only_its_articles_are_parsed_again(tiny_kb_paths, tmp_path, parsed):
    articles, coverage = tiny_kb_paths
    cache = tmp_path / "kb_parse_cache.pickle"
    load_knowledge_base(articles, coverage, cache_file=cache)
    passport = str(articles / "identity" / "passport.md")
    shard = shards_dir(cache) / f"{shard_of(passport)}.pickle"
    in_shard = sorted(Path(p).stem for p in pickle.loads(shard.read_bytes())["articles"])
    shard.write_bytes(shard.read_bytes()[: shard.stat().st_size // 2])  # a write cut short
    parsed.clear()
    kb = load_knowledge_base(articles, coverage, cache_file=cache)
    assert sorted(parsed) == in_shard and "passport" in parsed
    assert kb.articles == load_knowledge_base(articles, coverage).articles
    parsed.clear()
    load_knowledge_base(articles, coverage, cache_file=cache)
    assert parsed == []  # the shard was written anew


def test_a_shard_of_another_context_is_not_trusted_and_leaves(tiny_kb_paths, tmp_path, parsed):
    articles, coverage = tiny_kb_paths
    cache = tmp_path / "kb_parse_cache.pickle"
    load_knowledge_base(articles, coverage, cache_file=cache)
    (shards_dir(cache) / "zz.pickle").write_bytes(
        pickle.dumps({"version": 2, "context": "x", "articles": {}})
    )
    load_knowledge_base(articles, coverage, ("e-gov.az", "gov.az"), cache_file=cache)  # another context
    assert not (shards_dir(cache) / "zz.pickle").exists()
    assert set(_entries(cache)) == {str(p) for p in articles.rglob("*.md")}


def test_a_load_leaves_the_collector_as_it_found_it(tiny_kb_paths, tmp_path):
    import gc

    articles, coverage = tiny_kb_paths
    assert gc.isenabled()
    load_knowledge_base(articles, coverage, cache_file=tmp_path / "c.pickle")
    assert gc.isenabled()
    gc.disable()
    try:
        load_knowledge_base(articles, coverage, cache_file=tmp_path / "c.pickle")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_load_hands_what_it_made_to_the_oldest_generation_and_freezes_nothing(tiny_kb_paths, tmp_path):
    import gc

    articles, coverage = tiny_kb_paths
    load_knowledge_base(articles, coverage, cache_file=tmp_path / "c.pickle")  # the cache written
    for cached in (False, True):  # parsed, then through the cache
        kb = load_knowledge_base(articles, coverage, cache_file=tmp_path / "c.pickle" if cached else None)
        assert gc.get_freeze_count() == 0
        old = {id(o) for o in gc.get_objects(generation=2)}
        young = {id(o) for g in (0, 1) for o in gc.get_objects(generation=g)}
        made = [kb, kb.articles, *kb.articles, *(a.sections for a in kb.articles)]
        assert all(id(o) in old and id(o) not in young for o in made)


def test_garbage_made_while_the_collector_is_paused_is_still_collected():
    import gc
    import weakref

    from knowledge.cache import no_gc

    class Node:
        pass

    with no_gc():
        node = Node()
        node.self = node  # a cycle: only the collector frees it
        gone = weakref.ref(node)
        del node
    assert gone() is not None and gc.get_freeze_count() == 0
    gc.collect()
    assert gone() is None


def test_a_load_leaves_objects_someone_else_froze_frozen(tiny_kb_paths, tmp_path):
    import gc

    articles, coverage = tiny_kb_paths
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert frozen > 0
        load_knowledge_base(articles, coverage, cache_file=tmp_path / "c.pickle")
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()


@pytest.fixture
def later(monkeypatch):
    """Loads as if they ran 10 s after now: every file of the tiny KB has settled."""
    import time

    from knowledge import cache as cache_module

    monkeypatch.setattr(cache_module, "_now_ns", lambda: time.time_ns() + 10 * 10**9)


@pytest.fixture
def hashed(monkeypatch):
    """The number of article files read and hashed by a load."""
    calls = []
    real = loader.file_digest
    monkeypatch.setattr(loader, "file_digest", lambda data: calls.append(1) or real(data))
    return calls


def test_a_settled_unchanged_file_is_taken_by_its_stat_without_being_read(
    tiny_kb_paths, tmp_path, parsed, hashed, later
):
    articles, coverage = tiny_kb_paths
    cache = tmp_path / "kb_parse_cache.pickle"
    first = load_knowledge_base(articles, coverage, cache_file=cache)
    assert len(hashed) == 4
    hashed.clear(), parsed.clear()
    second = load_knowledge_base(articles, coverage, cache_file=cache)
    assert hashed == [] and parsed == []
    assert second.articles == first.articles and second.content_hash == first.content_hash


def test_a_same_size_edit_of_a_settled_file_is_seen(tiny_kb_paths, tmp_path, parsed, hashed, later):
    articles, coverage = tiny_kb_paths
    cache = tmp_path / "kb_parse_cache.pickle"
    load_knowledge_base(articles, coverage, cache_file=cache)
    path = articles / "identity" / "passport.md"
    text = path.read_text(encoding="utf-8")
    assert "ASAN" in text
    path.write_text(text.replace("ASAN", "ASAM"), encoding="utf-8")  # same size, new mtime and ctime
    parsed.clear()
    kb = load_knowledge_base(articles, coverage, cache_file=cache)
    assert parsed == ["passport"]
    assert kb.articles == load_knowledge_base(articles, coverage).articles


def test_a_file_whose_stat_has_not_settled_is_hashed_even_if_its_stat_is_unchanged(
    tiny_kb_paths, tmp_path, parsed, monkeypatch
):
    """A rewrite within one tick of a coarse filesystem clock keeps the whole stat: only the hash
    sees it, so a stat is trusted only once the file's times are older than SETTLED_NS."""
    import os
    import time

    articles, coverage = tiny_kb_paths
    cache = tmp_path / "kb_parse_cache.pickle"
    now, real_stat = time.time_ns(), os.stat

    class Frozen:  # every file's stat as that filesystem gives it: the same before and after the edit
        def __init__(self, path):
            st = real_stat(path)
            self.st_mtime_ns = self.st_ctime_ns = now
            self.st_size, self.st_ino = st.st_size, st.st_ino

    from knowledge import cache as cache_module

    monkeypatch.setattr(cache_module, "_stat", Frozen)
    load_knowledge_base(articles, coverage, cache_file=cache)
    path = articles / "identity" / "passport.md"
    path.write_text(path.read_text(encoding="utf-8").replace("ASAN", "ASAM"), encoding="utf-8")
    parsed.clear()
    kb = load_knowledge_base(articles, coverage, cache_file=cache)
    assert parsed == ["passport"]  # read and hashed: its frozen stat is younger than SETTLED_NS
    assert kb.articles == load_knowledge_base(articles, coverage).articles
