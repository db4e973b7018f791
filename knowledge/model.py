"""What a loaded knowledge base is made of: articles with their links, sources, review and
sections, and the knowledge base that holds them with the coverage and the service directory."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from knowledge.common import LANGS, ArticleError, Coverage
from knowledge.directory import Directory, ServiceEntry


@dataclass(frozen=True)
class Link:
    title: dict[str, str]
    url: str


@dataclass(frozen=True)
class Source:
    """A page an editor read, and the facts of the card it supports (numbers written out)."""

    url: str
    title: str
    accessed: dt.date
    supports: str


@dataclass(frozen=True)
class Review:
    """``draft`` until a person records a review with ``helpdesk kb review`` (who and when)."""

    state: str = "draft"
    by: str | None = None
    date: dt.date | None = None
    note: str | None = None

    @property
    def reviewed(self) -> bool:
        return self.state == "reviewed"


@dataclass(frozen=True)
class Section:
    title: str
    body: str


@dataclass(frozen=True)
class Article:
    id: str
    topic: str
    sector: str
    path: str
    title: dict[str, str]
    links: tuple[Link, ...]
    agency: dict[str, str]
    channel: str
    documents: dict[str, list[str]]
    sections: dict[str, Section]
    keywords: dict[str, list[str]]
    questions: dict[str, list[str]]
    sources: tuple[Source, ...]
    review: Review
    fee: dict[str, str] | None = None
    duration: dict[str, str] | None = None
    legal_basis: str | None = None
    content_hash: str = ""

    def search_text(self, lang: str | None = None) -> str:
        """Everything retrieval may match: title, keywords, example questions and body."""
        langs = LANGS if lang is None else (lang,)
        parts: list[str] = []
        for code in langs:
            # The title and keywords count twice: they name the topic, the body describes it.
            parts += [self.title[code]] * 2 + self.keywords.get(code, []) * 2
            parts += self.questions.get(code, [])
            parts += [self.sections[code].body]
        return "\n".join(parts)


@dataclass
class KnowledgeBase:
    articles: list[Article]
    coverage: Coverage
    directory: Directory = field(default_factory=Directory)
    # Broken directory entries are set aside, not fatal: the rest of the directory keeps serving.
    directory_errors: list[ArticleError] = field(default_factory=list)
    content_hash: str = ""
    by_topic: dict[str, Article] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_topic = {a.topic: a for a in self.articles}
        digest = hashlib.sha256()
        for article in sorted(self.articles, key=lambda a: a.id):
            digest.update(article.content_hash.encode())
        if self.directory.entries:  # (an empty directory keeps the hash of the articles alone)
            digest.update(self.directory.content_hash.encode())
        self.content_hash = digest.hexdigest()[:16]

    @property
    def services(self) -> tuple[ServiceEntry, ...]:
        """Directory entries that no article covers: what a ``refer`` names."""
        return tuple(e for e in self.directory.entries if e.topic not in self.by_topic)
