"""``helpdesk kb check``: what an editor should fix, each with file, line and how to fix it.

Errors are what the loader refuses (the article is left out until fixed); warnings are articles
that load but want attention: an old review, a language section much shorter than the others, a
coverage topic without an article, two articles too alike for retrieval to tell apart.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from knowledge.loader import LANGS, Article, ArticleError, KnowledgeBase, load_knowledge_base

SHORT_SECTION_RATIO = 0.4  # a section under 40 % of the others' median is "much shorter"
SIMILAR_COSINE = 0.97  # article vectors closer than this are too alike to tell apart

_NUMBER = re.compile(r"\d+")
_STEP_MARKER = re.compile(r"^\s*\d+[.)]\s", re.MULTILINE)  # "1. Do this" numbers steps, states nothing


class PassageEncoder(Protocol):
    """What the similarity check needs of an embedder (retrieval's, which knowledge may not import)."""

    def encode_passages(self, texts: list[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class Finding:
    level: str  # error | warning
    kind: str
    path: str
    line: int
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message} — fix: {self.fix}"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _section_line(path: str, lang: str) -> int:
    try:
        for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
            if line.strip() == f"## {lang}":
                return number
    except OSError:
        pass
    return 1


def find_warnings(
    kb: KnowledgeBase,
    max_age_days: int,
    today: dt.date | None = None,
    embedder: PassageEncoder | None = None,
) -> list[Finding]:
    today = today or dt.date.today()
    found: list[Finding] = []
    for article in kb.articles:
        review = article.review
        if not review.reviewed:
            found.append(
                Finding(
                    "warning",
                    "draft",
                    article.path,
                    1,
                    "draft: no editor has reviewed this article yet",
                    f"check every fact against its sources, then `helpdesk kb review {article.id} --by NAME`",
                )
            )
        elif review.date is not None and (today - review.date).days > max_age_days:
            found.append(
                Finding(
                    "warning",
                    "stale",
                    article.path,
                    1,
                    f"reviewed {(today - review.date).days} days ago by {review.by} (limit {max_age_days})",
                    f"check the facts against the sources, then `helpdesk kb review {article.id} --by NAME`",
                )
            )
        found += unsupported_numbers(article)
        lengths = {lang: len(article.sections[lang].body) for lang in LANGS}
        for lang in LANGS:
            others = [lengths[o] for o in LANGS if o != lang]
            if lengths[lang] < SHORT_SECTION_RATIO * float(np.median(others)):
                found.append(
                    Finding(
                        "warning",
                        "short_section",
                        article.path,
                        _section_line(article.path, lang),
                        f"the '{lang}' section has {lengths[lang]} characters, the others "
                        f"{' and '.join(map(str, others))}",
                        f"translate the missing steps into '{lang}'",
                    )
                )
    for topic in sorted(set(kb.coverage.topics) - set(kb.by_topic)):
        found.append(
            Finding(
                "warning",
                "uncovered",
                "coverage.yaml",
                1,
                f"topic '{topic}' has no article",
                f"run `helpdesk kb new {topic}`",
            )
        )
    if embedder is not None and len(kb.articles) > 1:
        found += similar_articles(kb, embedder)
    return found


def check_knowledge_base(kb: KnowledgeBase, max_age_days: int, today: dt.date | None = None) -> list[str]:
    """Warnings an editor should act on, as text lines."""
    return [str(f) for f in find_warnings(kb, max_age_days, today)]


def card_numbers(article: Article, lang: str) -> set[str]:
    """Every number a citizen reads in one language of the card (step markers aside)."""
    parts = [
        _STEP_MARKER.sub("", article.sections[lang].body),
        article.title[lang],
        *article.documents.get(lang, []),
    ]
    parts += [field[lang] for field in (article.fee, article.duration) if field]
    return {m for part in parts for m in _NUMBER.findall(part)}


def unsupported_numbers(article: Article) -> list[Finding]:
    """Numbers in the card that no source's ``supports`` line states (a fact with no page)."""
    supported = {m for source in article.sources for m in _NUMBER.findall(source.supports)}
    found: list[Finding] = []
    for lang in LANGS:
        missing = sorted(card_numbers(article, lang) - supported, key=lambda n: (len(n), n))
        if missing:
            found.append(
                Finding(
                    "warning",
                    "unsourced_number",
                    article.path,
                    _section_line(article.path, lang),
                    f"the '{lang}' card states {', '.join(missing)}, which no source's 'supports' names",
                    "add the page that states it to 'sources' (with the number in "
                    "'supports'), or take the number out",
                )
            )
    return found


def article_vectors(kb: KnowledgeBase, embedder: PassageEncoder) -> np.ndarray:
    """One vector per article: the mean of its titles and first paragraphs in all languages."""
    texts = [
        f"{a.title[lang]}\n{a.sections[lang].body.split(chr(10) + chr(10))[0]}"
        for a in kb.articles
        for lang in LANGS
    ]
    vectors = embedder.encode_passages(texts).reshape(len(kb.articles), len(LANGS), -1).mean(axis=1)
    normalized: np.ndarray = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
    return normalized


def similar_articles(
    kb: KnowledgeBase, embedder: PassageEncoder, threshold: float = SIMILAR_COSINE
) -> list[Finding]:
    vectors = article_vectors(kb, embedder)
    sims = vectors @ vectors.T
    found: list[Finding] = []
    for i, j in itertools.combinations(range(len(kb.articles)), 2):
        if sims[i, j] >= threshold:
            a, b = kb.articles[i], kb.articles[j]
            found.append(
                Finding(
                    "warning",
                    "too_similar",
                    a.path,
                    1,
                    f"'{a.id}' and '{b.id}' read almost the same (cosine {sims[i, j]:.3f})",
                    f"merge them, or make the titles and first lines say what differs (see {b.path})",
                )
            )
    return found


def check_all(
    articles_dir: Path,
    coverage_path: Path,
    domains: tuple[str, ...] | list[str],
    max_age_days: int,
    embedder: PassageEncoder | None = None,
    today: dt.date | None = None,
) -> tuple[KnowledgeBase | None, list[Finding]]:
    errors: list[ArticleError] = []
    findings: list[Finding] = []
    try:
        kb = load_knowledge_base(articles_dir, coverage_path, domains, errors=errors)
    except ArticleError as exc:  # no folder, no coverage, or nothing loadable at all
        errors.append(exc)
        kb = None
    for error in errors:
        findings.append(
            Finding(
                "error",
                "refused",
                error.path,
                error.line,
                error.message,
                "correct the line; the article is left out until then",
            )
        )
    if kb is not None:
        findings += find_warnings(kb, max_age_days, today, embedder)
    return kb, findings
