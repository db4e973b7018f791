"""Editors' helpers: a skeleton article for a topic, and articles from a question/answer sheet."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml

from knowledge.loader import LANGS, ArticleError, load_coverage

_SKELETON = """---
id: {topic}
topic: {topic}
sector: {sector}
title:
  az: "TODO: sualı azərbaycanca yazın"
  ru: "TODO: вопрос по-русски"
  en: "TODO: the question in English"
links:
  - title: {{az: "TODO: keçidin adı", ru: "TODO: название ссылки", en: "TODO: link title"}}
    url: {portal}
agency: {{az: "TODO", ru: "TODO", en: "TODO"}}
channel: online                # online | asan | both | office
documents: {{az: [], ru: [], en: []}}
# fee: {{az: "...", ru: "...", en: "..."}}        # only when confirmed
# duration: {{az: "...", ru: "...", en: "..."}}   # only when confirmed
# legal_basis: "..."
sources:                       # every fee, deadline, age, phone or law number stands in a `supports`
  - {{url: "{portal}", title: "TODO: the page you read (replace the url too)", accessed: {today}, supports: "TODO: the facts it gives, every number written out"}}
review: {{state: draft}}          # `helpdesk kb review {topic} --by NAME` records a review
keywords: {{az: [TODO], ru: [TODO], en: [TODO]}}
questions: {{az: [], ru: [], en: []}}
---
## az
### TODO: sualı azərbaycanca yazın
TODO: 3–6 qısa addım.

## ru
### TODO: вопрос по-русски
TODO: 3–6 коротких шагов.

## en
### TODO: the question in English
TODO: 3–6 short steps.
"""


def write_skeleton(articles_dir: Path, coverage_path: Path, topic: str, today: dt.date | None = None) -> Path:
    coverage = load_coverage(coverage_path)
    if topic not in coverage.topics:
        raise ArticleError(coverage_path, 0, f"unknown topic '{topic}': add it to coverage.yaml first")
    entry = coverage.topics[topic]
    path: Path = Path(articles_dir) / entry["sector"] / f"{topic}.md"
    if path.exists():
        raise ArticleError(path, 1, "the article already exists: edit it instead")
    path.parent.mkdir(parents=True, exist_ok=True)
    portal = entry.get("portal") or "https://e-gov.az"
    path.write_text(
        _SKELETON.format(
            topic=topic, sector=entry["sector"], portal=portal, today=(today or dt.date.today()).isoformat()
        ),
        encoding="utf-8",
    )
    return path


def dump_article(meta: dict[str, Any], sections: dict[str, tuple[str, str]]) -> str:
    """An article file from its front matter and (title, body) per language."""
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=100)
    body = "".join(f"## {lang}\n### {sections[lang][0]}\n{sections[lang][1].strip()}\n\n" for lang in LANGS)
    return f"---\n{front}---\n{body}"


REQUIRED_COLUMNS = ("topic", "lang", "question", "answer")


def read_sheet(path: Path) -> list[dict[str, Any]]:
    """Rows of a CSV or XLSX sheet as dicts keyed by lower-case header, with their row numbers."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        sheet = load_workbook(path, read_only=True, data_only=True).active
        rows = list(sheet.iter_rows(values_only=True))
    elif path.suffix.lower() == ".csv":
        import csv

        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    else:
        raise ArticleError(path, 0, "use a .csv or .xlsx file")
    if not rows:
        raise ArticleError(path, 1, "the sheet is empty")
    header = [str(h or "").strip().lower() for h in rows[0]]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ArticleError(
            path, 1, f"missing columns: {', '.join(missing)} (need {', '.join(REQUIRED_COLUMNS)})"
        )
    out: list[dict[str, Any]] = []
    for number, row in enumerate(rows[1:], start=2):
        values: dict[str, Any] = {h: ("" if v is None else str(v).strip()) for h, v in zip(header, row)}
        if any(values.values()):
            values["_row"] = number
            out.append(values)
    return out


def import_sheet(
    sheet: Path, articles_dir: Path, coverage_path: Path, today: dt.date | None = None
) -> dict[str, Any]:
    """Questions and answers from a sheet into article files; nothing is written if a row is bad.

    A topic with no article yet needs a row in each of az, ru and en (the answer becomes the
    section, the question its title); for an existing article the rows add example questions.
    """
    from knowledge.loader import load_knowledge_base, parse_article

    coverage = load_coverage(coverage_path)
    rows = read_sheet(sheet)
    errors: list[str] = []
    for row in rows:
        if row.get("topic") not in coverage.topics:
            errors.append(f"row {row['_row']}: unknown topic '{row.get('topic')}'")
        if row.get("lang") not in LANGS:
            errors.append(f"row {row['_row']}: language must be az, ru or en, not '{row.get('lang')}'")
        if not row.get("question"):
            errors.append(f"row {row['_row']}: the question is empty")
    kb = load_knowledge_base(articles_dir, coverage_path)
    by_topic: dict[str | None, list[dict[str, Any]]] = {}  # None: a row with no topic cell
    for row in rows:
        by_topic.setdefault(row.get("topic"), []).append(row)
    for topic, topic_rows in by_topic.items():
        if topic in coverage.topics and topic not in kb.by_topic:
            langs = {r["lang"] for r in topic_rows if r.get("answer")}
            if set(LANGS) - langs:
                errors.append(
                    f"rows {', '.join(str(r['_row']) for r in topic_rows)}: new topic '{topic}' "
                    f"needs an answer in {', '.join(sorted(set(LANGS) - langs))} too"
                )
    if errors:
        raise ArticleError(sheet, 0, "; ".join(errors))
    created, updated, files = [], [], {}
    for topic, topic_rows in by_topic.items():
        assert topic is not None  # a row without a topic is an error above
        if topic in kb.by_topic:
            article = kb.by_topic[topic]
            text = Path(article.path).read_text(encoding="utf-8")
            front, _, body = text[4:].partition("\n---\n")
            meta = yaml.safe_load(front)
            questions = meta.get("questions") or {lang: [] for lang in LANGS}
            added = 0
            for row in topic_rows:
                known = {q.lower() for q in questions.get(row["lang"], [])}
                if row["question"].lower() not in known:
                    questions.setdefault(row["lang"], []).append(row["question"])
                    added += 1
            meta["questions"] = questions
            files[Path(article.path)] = (
                "---\n"
                + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=100)
                + "---\n"
                + body
            )
            updated.append(f"{topic} (+{added} questions)")
        else:
            entry = coverage.topics[topic]
            first = {
                lang: next(r for r in topic_rows if r["lang"] == lang and r.get("answer")) for lang in LANGS
            }
            meta = {
                "id": topic,
                "topic": topic,
                "sector": entry["sector"],
                "title": {lang: first[lang].get("title") or first[lang]["question"] for lang in LANGS},
                "links": [
                    {
                        "title": {lang: entry.get("portal", "https://e-gov.az") for lang in LANGS},
                        "url": entry.get("portal", "https://e-gov.az"),
                    }
                ],
                "agency": {lang: coverage.sectors.get(entry["sector"], "—") for lang in LANGS},
                "channel": "online",
                "documents": {lang: [] for lang in LANGS},
                # The sheet names no page: point at the portal and say that nothing is checked yet;
                # `kb check` flags every number the editor still has to source.
                "sources": [
                    {
                        "url": entry.get("portal", "https://e-gov.az"),
                        "title": f"imported from {Path(sheet).name}",
                        "accessed": (today or dt.date.today()),
                        "supports": "nothing checked yet: add the pages the facts come from",
                    }
                ],
                "review": {"state": "draft"},
                "keywords": {lang: [first[lang].get("title") or first[lang]["question"]] for lang in LANGS},
                "questions": {
                    lang: [r["question"] for r in topic_rows if r["lang"] == lang] for lang in LANGS
                },
            }
            sections = {lang: (meta["title"][lang], first[lang]["answer"]) for lang in LANGS}
            files[Path(articles_dir) / entry["sector"] / f"{topic}.md"] = dump_article(meta, sections)
            created.append(topic)
    for path, text in files.items():  # every file checked before any is written
        parse_article(path, text, coverage)
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return {"created": created, "updated": updated, "rows": len(rows)}
