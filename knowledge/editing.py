"""Editors' helpers: a skeleton article for a topic, and articles from a question/answer sheet."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

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
channel: online                # online | asan | both
documents: {{az: [], ru: [], en: []}}
# fee: {{az: "...", ru: "...", en: "..."}}        # only when confirmed
# duration: {{az: "...", ru: "...", en: "..."}}   # only when confirmed
# legal_basis: "..."
source: "TODO: where the facts come from"
reviewed: {today}
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


def write_skeleton(articles_dir: Path, coverage_path: Path, topic: str,
                   today: dt.date | None = None) -> Path:
    coverage = load_coverage(coverage_path)
    if topic not in coverage.topics:
        raise ArticleError(coverage_path, 0, f"unknown topic '{topic}': add it to coverage.yaml first")
    entry = coverage.topics[topic]
    path = Path(articles_dir) / entry["sector"] / f"{topic}.md"
    if path.exists():
        raise ArticleError(path, 1, "the article already exists: edit it instead")
    path.parent.mkdir(parents=True, exist_ok=True)
    portal = entry.get("portal") or "https://e-gov.az"
    path.write_text(_SKELETON.format(topic=topic, sector=entry["sector"], portal=portal,
                                     today=(today or dt.date.today()).isoformat()), encoding="utf-8")
    return path


def dump_article(meta: dict, sections: dict[str, tuple[str, str]]) -> str:
    """An article file from its front matter and (title, body) per language."""
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=100)
    body = "".join(f"## {lang}\n### {sections[lang][0]}\n{sections[lang][1].strip()}\n\n" for lang in LANGS)
    return f"---\n{front}---\n{body}"
