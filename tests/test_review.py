import datetime as dt

import pytest
from click.testing import CliRunner

from bot.cli import main
from knowledge.check import unsupported_numbers
from knowledge.loader import ArticleError, load_knowledge_base
from knowledge.review import record_review


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def make_draft(articles, topic="passport", sector="identity"):
    path = articles / sector / f"{topic}.md"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "review: {state: reviewed, by: Test Editor, date: 2026-11-25}", "review: {state: draft}"
        ),
        encoding="utf-8",
    )
    return path


def test_review_writes_the_block_and_only_that_line(tiny_kb_paths):
    articles, coverage = tiny_kb_paths
    path = make_draft(articles)
    before = path.read_text(encoding="utf-8").splitlines()
    kb = load_knowledge_base(articles, coverage)
    assert not kb.by_topic["passport"].review.reviewed
    record_review(kb, "passport", "  Aysel Məmmədova ", note="fees: checked", today=dt.date(2026, 12, 1))
    after = path.read_text(encoding="utf-8").splitlines()
    changed = [(a, b) for a, b in zip(before, after) if a != b]
    assert len(before) == len(after) and len(changed) == 1
    review = load_knowledge_base(articles, coverage).by_topic["passport"].review
    assert (review.state, review.by, review.date, review.note) == (
        "reviewed",
        "Aysel Məmmədova",
        dt.date(2026, 12, 1),
        "fees: checked",
    )


@pytest.mark.parametrize(
    "article_id, by, message",
    [
        ("made-up", "Aysel", "no article with id"),
        ("passport", "", "--by needs"),
        ("passport", "   ", "--by needs"),
        ("passport", "bad\x00name", "--by needs"),
    ],
)
def test_review_refuses_unknown_ids_and_empty_names(tiny_kb_paths, article_id, by, message):
    kb = load_knowledge_base(*tiny_kb_paths)
    with pytest.raises(ArticleError, match=message):
        record_review(kb, article_id, by)


def test_kb_review_command_records_an_audit_row(tiny_settings, tiny_kb_paths):
    from bot.storage.sqlite import Store

    make_draft(tiny_kb_paths[0])
    result = run("kb", "review", "passport", "--by", "Aysel", "--note", "checked fees")
    assert result.exit_code == 0 and "reviewed by Aysel" in result.output
    store = Store(tiny_settings.data_dir / "helpdesk.sqlite3")
    rows = [r for r in store.audit_log() if r["action"] == "kb_review"]
    store.close()
    assert len(rows) == 1 and "passport reviewed by Aysel: checked fees" in rows[0]["detail"]
    refused = run("kb", "review", "nothing-here", "--by", "Aysel")
    assert refused.exit_code == 2 and "no article with id 'nothing-here'" in refused.output
    assert run("kb", "review", "passport").exit_code == 2  # --by is required


def test_a_bare_review_date_is_refused(tiny_kb_paths):
    articles, coverage = tiny_kb_paths
    path = articles / "identity" / "passport.md"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "review: {state: reviewed, by: Test Editor, date: 2026-11-25}",
            "review: {state: reviewed, date: 2026-11-25}",
        ),
        encoding="utf-8",
    )
    with pytest.raises(ArticleError, match="needs 'by'"):
        load_knowledge_base(articles, coverage)


def test_numbers_no_source_supports_are_flagged_per_language(tiny_kb_paths):
    articles, coverage = tiny_kb_paths
    path = articles / "identity" / "passport.md"
    text = path.read_text(encoding="utf-8")
    text = text.replace("supports: test fixture}", 'supports: "fee 60 AZN"}')
    text = text.replace(
        "Xaricə səyahət üçün pasport ASAN Xidmətdə verilir.",
        "1. Rüsum 60 manatdır, 10 iş günü.\n2. Zəng: 108.",
    )
    path.write_text(text, encoding="utf-8")
    article = load_knowledge_base(articles, coverage).by_topic["passport"]
    [finding] = unsupported_numbers(article)
    assert finding.kind == "unsourced_number" and "'az'" in finding.message
    assert "10, 108" in finding.message and "60" not in finding.message.split("states")[1].split(",")[0]
    assert finding.line > 1


def test_kb_stats_table_counts_drafts_and_sourced_facts(tiny_settings, tiny_kb_paths):
    make_draft(tiny_kb_paths[0])
    out = run("kb", "stats").output
    row = next(line for line in out.splitlines() if line.startswith("| identity |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1:5] == ["2", "1", "1", "0"]  # articles, drafts, reviewed, stale
