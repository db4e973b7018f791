import pytest

from knowledge.directory import load_directory
from knowledge.loader import ArticleError, load_coverage, load_knowledge_base

GOOD = """services:
  - id: notary-power-of-attorney-office
    name: {az: "Etibarnamənin təsdiqi", ru: "Удостоверение доверенности", en: "Power of attorney"}
    agency: {az: "Ədliyyə Nazirliyi", ru: "Министерство юстиции", en: "Ministry of Justice"}
    url: https://justice.gov.az
    channel: office
    sector: justice
    keywords: {az: [etibarnamə, etibarname], ru: [доверенность], en: [power of attorney]}
    source: https://justice.gov.az/notariat.php
  - id: hunting-licence
    name: {az: "Ov bileti", ru: "Охотничий билет", en: "Hunting licence"}
    agency: {az: "Ekologiya Nazirliyi", ru: "Министерство экологии", en: "Ministry of Ecology"}
    url: https://eco.gov.az
    channel: online
    sector: environment
    keywords: {az: [ov bileti], ru: [охотничий билет], en: [hunting licence, hunting permit]}
    source: https://eco.gov.az/az/xidmetler
    topic: tax-debt-check
"""


def write(folder, name, text):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


@pytest.fixture
def coverage(tiny_kb_paths):
    coverage = load_coverage(tiny_kb_paths[1])
    coverage.sectors.update({"justice": "Justice"})
    return coverage


def test_entries_load_with_their_fields(tmp_path, coverage):
    write(tmp_path, "a.yaml", GOOD)
    directory = load_directory(tmp_path, coverage)
    notary, hunting = directory.entries
    assert notary.name["ru"] == "Удостоверение доверенности" and notary.channel == "office"
    assert notary.topic is None and hunting.topic == "tax-debt-check"
    assert notary.line == 2 and hunting.line == 10
    assert "etibarname" in notary.search_text() and len(notary.chunks()) == 6


@pytest.mark.parametrize(
    "change, message, line",
    [
        (
            ("url: https://justice.gov.az", "url: https://justice.example.com"),
            "not https on an official domain",
            2,
        ),
        (("url: https://justice.gov.az", "url: http://justice.gov.az"), "not https on an official domain", 2),
        (("    source: https://justice.gov.az/notariat.php\n", ""), "missing required field 'source'", 2),
        (("source: https://eco.gov.az/az/xidmetler", "source: our notes"), "must be the address", 10),
        (("channel: office", "channel: fax"), "channel must be one of", 2),
        (("sector: environment", "sector: weather"), "unknown sector 'weather'", 10),
        (("topic: tax-debt-check", "topic: made-up"), "unknown topic 'made-up'", 10),
        (('en: "Hunting licence"', 'xx: "Hunting licence"'), "'name' needs az, ru and en", 10),
        (("id: hunting-licence", "id: Hunting Licence!"), "must be lowercase", 10),
        (("id: hunting-licence", "id: notary-power-of-attorney-office"), "duplicate service id", 10),
    ],
)
def test_a_broken_entry_is_refused_with_file_and_line_and_the_rest_load(
    tmp_path, coverage, change, message, line
):
    write(tmp_path, "a.yaml", GOOD.replace(*change))
    errors: list[ArticleError] = []
    directory = load_directory(tmp_path, coverage, errors=errors)
    assert len(errors) == 1 and message in errors[0].message, errors
    assert errors[0].path.endswith("a.yaml") and errors[0].line == line
    assert len(directory.entries) == 1  # the other entry keeps serving
    with pytest.raises(ArticleError):
        load_directory(tmp_path, coverage)  # strict when no error list is given


def test_broken_yaml_and_wrong_shape(tmp_path, coverage):
    write(tmp_path, "a.yaml", "services:\n  - id: [unclosed\n")
    write(tmp_path, "b.yaml", "- just a list\n")
    write(tmp_path, "c.yaml", GOOD)
    errors: list[ArticleError] = []
    directory = load_directory(tmp_path, coverage, errors=errors)
    assert [e.path.rsplit("/", 1)[-1] for e in errors] == ["a.yaml", "b.yaml"]
    assert "broken YAML" in errors[0].message and errors[0].line >= 2
    assert "'services:' list" in errors[1].message
    assert len(directory.entries) == 2


def test_the_knowledge_base_keeps_serving_with_a_broken_directory(tiny_kb_paths):
    articles, coverage = tiny_kb_paths
    write(
        articles.parent / "directory",
        "a.yaml",
        GOOD.replace("url: https://eco.gov.az", "url: https://eco.example"),
    )
    kb = load_knowledge_base(articles, coverage)  # strict for articles, never for entries
    assert len(kb.articles) == 4
    assert [e.id for e in kb.directory.entries] == []  # justice is no sector of the tiny KB
    assert len(kb.directory_errors) == 2
    collected: list[ArticleError] = []
    load_knowledge_base(articles, coverage, errors=collected)
    assert len(collected) == 2


def test_directory_changes_the_kb_hash_and_services_exclude_covered_topics(tiny_kb_paths):
    articles, coverage = tiny_kb_paths
    before = load_knowledge_base(articles, coverage).content_hash
    write(articles.parent / "directory", "a.yaml", GOOD.replace("sector: justice", "sector: taxes"))
    kb = load_knowledge_base(articles, coverage)
    assert kb.content_hash != before
    assert [e.id for e in kb.services] == ["notary-power-of-attorney-office"]  # hunting has an article


def test_a_missing_directory_folder_is_an_empty_directory(tmp_path, coverage):
    assert load_directory(tmp_path / "nowhere", coverage).entries == ()


def test_bundled_directory_is_large_sourced_and_clean():
    errors: list[ArticleError] = []
    kb = load_knowledge_base(errors=errors)
    assert not [e for e in errors if "directory" in e.path], errors
    entries = kb.directory.entries
    assert len(entries) >= 300
    assert all(e.source.startswith(("http://", "https://")) and e.url.startswith("https://") for e in entries)
    assert len({e.id for e in entries}) == len(entries)


def test_kb_check_lists_a_broken_entry_and_counts_the_rest(tiny_settings, tiny_kb_paths):
    import json

    from click.testing import CliRunner

    from bot.cli import main

    articles, _ = tiny_kb_paths
    good = GOOD.replace("sector: justice", "sector: taxes")
    write(
        articles.parent / "directory",
        "a.yaml",
        good.replace("url: https://eco.gov.az", "url: https://eco.example"),
    )
    result = CliRunner().invoke(main, ["kb", "check", "--json", "--no-similarity"])
    data = json.loads(result.output)
    assert result.exit_code == 2 and data["services"] == 1
    [error] = [f for f in data["findings"] if f["level"] == "error"]
    assert error["path"].endswith("a.yaml") and error["line"] == 10 and "official domain" in error["message"]
