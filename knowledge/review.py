"""``helpdesk kb review``: a person records that they checked an article against its sources.

The review is written into the article's front matter as ``review: {state: reviewed, by, date}``
(only that line changes, so the editor's formatting and comments stay) — nobody types a review
date by hand. The caller records the same act in the audit table.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from knowledge.loader import Article, ArticleError, KnowledgeBase, parse_review

_REVIEW_LINE = re.compile(r"^review:.*$", re.MULTILINE)
_NAME = re.compile(r"^[^\x00-\x1f\x7f]{1,80}$")


def _yaml_text(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid YAML scalar


def record_review(
    kb: KnowledgeBase, article_id: str, by: str, note: str | None = None, today: dt.date | None = None
) -> Article:
    """Mark ``article_id`` reviewed by ``by`` today; returns the article as it was."""
    name = (by or "").strip()
    if not name or not _NAME.match(name):
        raise ArticleError("review", 0, "--by needs the reviewer's name (1–80 printable characters)")
    article = next((a for a in kb.articles if a.id == article_id), None)
    if article is None:
        raise ArticleError(
            "review", 0, f"no article with id '{article_id}' (see `helpdesk kb stats` for the ids)"
        )
    path = Path(article.path)
    text = path.read_text(encoding="utf-8")
    front_end = text.find("\n---", 3)
    block = {"state": "reviewed", "by": name, "date": (today or dt.date.today()).isoformat()}
    if note and note.strip():
        block["note"] = note.strip()
    line = (
        "review: {" + ", ".join(f"{k}: {_yaml_text(v) if k != 'date' else v}" for k, v in block.items()) + "}"
    )
    match = _REVIEW_LINE.search(text, 0, front_end)
    if match is None:
        raise ArticleError(path, 1, "the article has no 'review:' line to update")
    updated = text[: match.start()] + line + text[match.end() :]
    import yaml

    parse_review(path, 1, yaml.safe_load(line)["review"])  # what we write must read back
    path.write_text(updated, encoding="utf-8")
    return article
