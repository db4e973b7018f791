"""TermCoverage reads a topic's words when a question first meets it, with the same result."""

from retrieval.coverage import TermCoverage
from retrieval.normalize import tokens


def test_terms_are_read_on_first_use_and_are_every_word_of_the_article(tiny_kb):
    coverage = TermCoverage(tiny_kb)
    article = tiny_kb.by_topic["tax-debt-check"]
    assert coverage.coverage("vergi borcu", "tax-debt-check") == 1.0
    assert coverage.terms("tax-debt-check") == frozenset(w[:5] for w in tokens(article.search_text()))
    assert coverage.terms("no-such-topic") is None
    assert coverage.coverage("vergi borcu", "no-such-topic") == 1.0


def test_coverage_is_the_share_of_content_words_the_article_has(tiny_kb):
    coverage = TermCoverage(tiny_kb)
    assert coverage.coverage("vergi borcu", "passport") == 0.0
    assert coverage.coverage("vergi borcu apostil", "tax-debt-check") == 2 / 3  # apostil: not there
    assert coverage.coverage("necə?", "passport") == 1.0  # no content words at all


def test_a_russian_question_is_covered_beside_an_azerbaijani_cyrillic_line(tiny_kb):
    article = tiny_kb.by_topic["tax-debt-check"]
    article.questions["az"] = [*article.questions.get("az", []), "Верҝи борҹуму нечә јохлајым"]
    coverage = TermCoverage(tiny_kb)
    assert coverage.coverage("Верҝи борҹуму", "tax-debt-check") == 1.0
    russian = [w for w in tokens(article.search_text("ru")) if len(w) >= 5 and not w.isascii()][:2]
    assert russian and coverage.coverage(" ".join(russian), "tax-debt-check") == 1.0


def test_service_coverage_is_the_share_of_content_words_a_directory_entry_has(tiny_kb_paths):
    from knowledge.loader import load_knowledge_base

    articles, coverage_file = tiny_kb_paths
    (articles.parent / "directory").mkdir()
    (articles.parent / "directory" / "a.yaml").write_text(
        """services:
  - id: hunting-licence
    name: {az: "Ov bileti", ru: "Охотничий билет", en: "Hunting licence"}
    agency: {az: "Ekologiya Nazirliyi", ru: "Министерство экологии", en: "Ministry of Ecology"}
    url: https://eco.gov.az
    channel: online
    sector: taxes
    keywords: {az: [ov bileti], ru: [охотничий билет], en: [hunting permit]}
    source: https://eco.gov.az/az/xidmetler
""",
        encoding="utf-8",
    )
    coverage = TermCoverage(load_knowledge_base(articles, coverage_file))
    assert coverage.service_coverage("ov bileti", "hunting-licence") == 1.0
    assert coverage.service_coverage("ov bileti vergi", "hunting-licence") == 0.5  # "ov": too short to count
    assert coverage.service_coverage("охотничьего билета", "hunting-licence") == 1.0  # endings folded
    assert coverage.service_coverage("vergi borcu", "no-such-service") == 1.0
    assert coverage.service_coverage("necə?", "hunting-licence") == 1.0  # no content words at all


def test_a_mistyped_word_counts_as_the_word_it_was_meant_to_be(tiny_kb):
    plain = TermCoverage(tiny_kb)
    fixing = TermCoverage(tiny_kb, correct={"vergx": "vergi"}.get)
    assert plain.coverage("vergx borcu", "tax-debt-check") == 0.5
    assert fixing.coverage("vergx borcu", "tax-debt-check") == 1.0
