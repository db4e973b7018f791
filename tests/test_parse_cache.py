"""The knowledge-base parse cache: unchanged files are not parsed again; nothing stale is trusted."""

import dataclasses
import pickle

import pytest
from conftest import TINY_ARTICLES, article_text

from knowledge import loader
from knowledge.cache import ParseCache
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
    data = pickle.loads(cache_file.read_bytes())
    digest, article = data["articles"][str(articles / "identity" / "passport.md")]
    # right file digest, but an article of other content; and one that belongs to another file
    forged = dataclasses.replace(article, title={"az": "Saxta", "ru": "Фальшивка", "en": "Forged"})
    data["articles"][str(articles / "identity" / "passport.md")] = (digest, forged, "extra")
    other = dataclasses.replace(forged, content_hash="0" * 16)
    data["articles"][str(articles / "identity" / "id-card.md")] = (
        data["articles"][str(articles / "identity" / "id-card.md")][0],
        other,
    )
    tax = data["articles"][str(articles / "taxes" / "tax-debt-check.md")]
    data["articles"][str(articles / "taxes" / "tax-debt-check.md")] = (tax[0], article)  # wrong path
    cache_file.write_bytes(pickle.dumps(data))
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
    assert not any("tax-payment-online" in p for p in pickle.loads(cache.read_bytes())["articles"])


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
