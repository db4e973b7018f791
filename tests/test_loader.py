import datetime as dt

import pytest
from conftest import TINY_ARTICLES, article_text

from bot.dialogue import render_card
from knowledge.check import check_knowledge_base
from knowledge.loader import (
    ArticleError,
    is_official_url,
    load_coverage,
    load_knowledge_base,
)

SECTOR, LANGS = TINY_ARTICLES["tax-debt-check"]


def write(paths, text, name="tax-debt-check"):
    articles, coverage = paths
    target = articles / "taxes" / f"{name}.md"
    target.write_text(text, encoding="utf-8")
    return target


def refused(paths, text, name="tax-debt-check") -> ArticleError:
    target = write(paths, text, name)
    with pytest.raises(ArticleError) as info:
        load_knowledge_base(*paths)
    assert info.value.path == str(target)
    return info.value


def test_tiny_kb_loads(tiny_kb):
    assert len(tiny_kb.articles) == 4
    article = tiny_kb.by_topic["tax-debt-check"]
    assert article.sections["ru"].title == "Как проверить налоговый долг?"
    assert article.links[0].url == "https://e-gov.az"
    assert len(tiny_kb.content_hash) == 16


def test_unknown_topic(tiny_kb_paths):
    error = refused(tiny_kb_paths, article_text("tax-debt-check", SECTOR, LANGS, topic="topic: tax-magic"))
    assert "unknown topic 'tax-magic'" in error.message and error.line == 3


def test_unknown_sector(tiny_kb_paths):
    error = refused(tiny_kb_paths, article_text("tax-debt-check", SECTOR, LANGS, sector="sector: sport"))
    assert "unknown sector 'sport'" in error.message and error.line == 4


def test_topic_in_wrong_sector(tiny_kb_paths):
    error = refused(tiny_kb_paths, article_text("tax-debt-check", SECTOR, LANGS, sector="sector: identity"))
    assert "belongs to sector 'taxes'" in error.message


def test_missing_language_section(tiny_kb_paths):
    text = article_text("tax-debt-check", SECTOR, LANGS)
    text = text[: text.index("## en")]
    error = refused(tiny_kb_paths, text)
    assert "missing language section '## en'" in error.message


def test_missing_language_in_a_field(tiny_kb_paths):
    error = refused(
        tiny_kb_paths, article_text("tax-debt-check", SECTOR, LANGS, agency="agency: {az: Qurum, en: Agency}")
    )
    assert "'agency' needs az, ru and en (missing: ru)" in error.message


@pytest.mark.parametrize(
    "url",
    [
        "http://e-taxes.gov.az",
        "https://e-taxes.gov.az.evil.com",
        "https://egov-az.com",
        "javascript:alert(1)",
    ],
)
def test_unofficial_or_insecure_link(tiny_kb_paths, url):
    links = "links:\n  - {title: {az: A, ru: B, en: C}, url: " + url + "}"
    error = refused(tiny_kb_paths, article_text("tax-debt-check", SECTOR, LANGS, links=links))
    assert "not https on an official domain" in error.message
    assert error.line == 7  # the line with the url


def test_duplicate_id(tiny_kb_paths):
    articles, _ = tiny_kb_paths
    text = article_text("tax-debt-check", SECTOR, LANGS)
    (articles / "identity" / "tax-debt-check.md").write_text(text, encoding="utf-8")
    with pytest.raises(ArticleError, match="duplicate id 'tax-debt-check'"):
        load_knowledge_base(*tiny_kb_paths)


def test_broken_yaml_names_the_line(tiny_kb_paths):
    text = article_text("tax-debt-check", SECTOR, LANGS, channel="channel: [online")
    error = refused(tiny_kb_paths, text)
    assert "broken YAML" in error.message and error.line >= 8


def test_missing_required_field(tiny_kb_paths):
    error = refused(tiny_kb_paths, article_text("tax-debt-check", SECTOR, LANGS, sources=""))
    assert "missing required field 'sources'" in error.message


def test_id_must_match_file_name(tiny_kb_paths):
    error = refused(tiny_kb_paths, article_text("tax-debt-check", SECTOR, LANGS), name="other-name")
    assert "must match the file name" in error.message or "duplicate id" in error.message


def test_no_front_matter(tiny_kb_paths):
    error = refused(tiny_kb_paths, "## az\n### x\ny\n")
    assert error.line == 1 and "front matter" in error.message


def test_bad_channel_and_date(tiny_kb_paths):
    assert (
        "channel must be"
        in refused(
            tiny_kb_paths, article_text("tax-debt-check", SECTOR, LANGS, channel="channel: fax")
        ).message
    )
    assert (
        "'review' must be"
        in refused(
            tiny_kb_paths, article_text("tax-debt-check", SECTOR, LANGS, review="review: 2026-11-25")
        ).message
    )


def test_section_without_answer(tiny_kb_paths):
    text = article_text("tax-debt-check", SECTOR, LANGS).replace(
        "Your tax debt is shown in the e-taxes.gov.az personal cabinet.", ""
    )
    assert "has a title but no answer" in refused(tiny_kb_paths, text).message


def test_error_string_is_one_line_with_file_and_line(tiny_kb_paths):
    error = refused(tiny_kb_paths, article_text("tax-debt-check", SECTOR, LANGS, sector="sector: sport"))
    assert str(error).count("\n") == 0 and str(error).startswith(f"{error.path}:4: ")


def test_warnings_for_old_review_and_uncovered_topic(tiny_kb_paths):
    articles, coverage = tiny_kb_paths
    (articles / "identity" / "passport.md").unlink()
    kb = load_knowledge_base(articles, coverage)
    warnings = check_knowledge_base(kb, max_age_days=30, today=dt.date(2027, 6, 1))
    assert any("passport" in w and "no article" in w for w in warnings)
    assert sum("reviewed" in w for w in warnings) == 3
    assert check_knowledge_base(kb, max_age_days=3650, today=dt.date(2027, 6, 1)) == [
        w for w in warnings if "no article" in w
    ]


def test_official_url_rules():
    domains = ("gov.az", "e-gov.az")
    assert is_official_url("https://e-gov.az", domains)
    assert is_official_url("https://www.e-taxes.gov.az/path?q=1", domains)
    assert not is_official_url("https://notgov.az", domains)


def test_bundled_kb_covers_every_topic_in_three_languages():
    kb = load_knowledge_base()
    coverage = load_coverage()
    assert set(coverage.topics) <= set(kb.by_topic)
    for article in kb.articles:
        for lang in ("az", "ru", "en"):
            card = render_card(article, lang)
            assert 200 < len(card) < 3500, (article.id, lang, len(card))
            assert article.title[lang] and article.keywords[lang]
        assert article.links[0].url.startswith("https://")
