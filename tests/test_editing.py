import csv
import datetime as dt

import pytest

from knowledge.editing import import_sheet, read_sheet, write_skeleton
from knowledge.loader import ArticleError, load_knowledge_base


def write_csv(path, rows):
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


HEADER = ["topic", "lang", "question", "answer"]


def test_good_sheet_adds_questions_to_an_existing_article(tiny_kb_paths, tmp_path):
    articles, coverage = tiny_kb_paths
    sheet = write_csv(
        tmp_path / "faq.csv",
        [
            HEADER,
            ["tax-debt-check", "az", "borcum var ya yox?", ""],
            ["tax-debt-check", "ru", "Есть ли у меня долг?", ""],
        ],
    )
    result = import_sheet(sheet, articles, coverage)
    assert result["updated"] == ["tax-debt-check (+2 questions)"] and result["created"] == []
    article = load_knowledge_base(articles, coverage).by_topic["tax-debt-check"]
    assert "borcum var ya yox?" in article.questions["az"]
    assert article.sections["en"].title == "How do I check my tax debt?"  # the rest untouched


def test_good_sheet_creates_a_new_article(tiny_kb_paths, tmp_path):
    articles, coverage = tiny_kb_paths
    (articles / "identity" / "passport.md").unlink()
    sheet = write_csv(
        tmp_path / "faq.csv",
        [
            HEADER + ["title"],
            ["passport", "az", "Pasportu necə alım?", "ASAN Xidmətə müraciət edin.", ""],
            ["passport", "ru", "Как получить паспорт?", "Обратитесь в ASAN Xidmət.", ""],
            ["passport", "en", "How to get a passport?", "Apply at ASAN Xidmət.", "Passport"],
        ],
    )
    assert import_sheet(sheet, articles, coverage, today=dt.date(2026, 11, 25))["created"] == ["passport"]
    article = load_knowledge_base(articles, coverage).by_topic["passport"]
    assert article.title["en"] == "Passport" and article.sections["ru"].body == "Обратитесь в ASAN Xidmət."
    assert article.links[0].url == "https://asan.gov.az"


def test_bad_sheet_is_refused_with_row_numbers_and_writes_nothing(tiny_kb_paths, tmp_path):
    articles, coverage = tiny_kb_paths
    before = {p: p.read_text() for p in articles.rglob("*.md")}
    (articles / "identity" / "passport.md").unlink()
    sheet = write_csv(
        tmp_path / "bad.csv",
        [
            HEADER,
            ["tax-debt-check", "az", "yaxşı sual", ""],
            ["no-such-topic", "az", "sual", "cavab"],
            ["tax-debt-check", "de", "Frage", ""],
            ["passport", "az", "", "cavab"],
            ["passport", "en", "How?", "Like this."],
        ],
    )
    with pytest.raises(ArticleError) as info:
        import_sheet(sheet, articles, coverage)
    message = info.value.message
    assert "row 3: unknown topic 'no-such-topic'" in message
    assert "row 4: language must be az, ru or en" in message
    assert "row 5: the question is empty" in message
    assert "new topic 'passport' needs an answer in ru too" in message
    for path, text in before.items():
        if path.exists():
            assert path.read_text() == text


def test_xlsx_sheet(tiny_kb_paths, tmp_path):
    from openpyxl import Workbook

    articles, coverage = tiny_kb_paths
    book = Workbook()
    book.active.append(HEADER)
    book.active.append(["id-card", "en", "Lost my ID, what now?", None])
    book.save(tmp_path / "faq.xlsx")
    assert read_sheet(tmp_path / "faq.xlsx")[0]["_row"] == 2
    assert import_sheet(tmp_path / "faq.xlsx", articles, coverage)["updated"] == ["id-card (+1 questions)"]


def test_sheet_format_errors(tmp_path):
    with pytest.raises(ArticleError, match="missing columns: answer"):
        read_sheet(write_csv(tmp_path / "x.csv", [["topic", "lang", "question"]]))
    with pytest.raises(ArticleError, match="csv or .xlsx"):
        read_sheet(tmp_path / "x.txt")


def test_skeleton_is_refused_for_unknown_topics(tiny_kb_paths):
    articles, coverage = tiny_kb_paths
    with pytest.raises(ArticleError, match="unknown topic"):
        write_skeleton(articles, coverage, "made-up")
