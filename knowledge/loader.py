"""Load and validate the knowledge base: one Markdown article per file.

A file is YAML front matter between ``---`` lines, then ``## az``, ``## ru``, ``## en`` sections,
each opening with a ``### title``. Anything wrong is an :class:`ArticleError` naming the file and
line, so an editor can fix it without reading code.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path
from typing import Any, overload
from urllib.parse import urlparse

from knowledge.cache import ParseCache, cached_coverage, cached_directory, file_digest, no_gc, open_cache
from knowledge.common import (
    DEFAULT_COVERAGE,
    DEFAULT_OFFICIAL_DOMAINS,
    KNOWLEDGE_DIR,
    LANGS,
    ArticleError,
    Coverage,
    is_official_url,
    load_coverage,
)
from knowledge.directory import DEFAULT_DIRECTORY_DIR, Directory
from knowledge.model import Article, KnowledgeBase, Link, Review, Section, Source

__all__ = [
    "Link",
    "Source",
    "Review",
    "Section",
    "Article",
    "KnowledgeBase",
    "DEFAULT_COVERAGE",
    "DEFAULT_OFFICIAL_DOMAINS",
    "KNOWLEDGE_DIR",
    "LANGS",
    "ArticleError",
    "Coverage",
    "Directory",
    "is_official_url",
    "load_coverage",
]

CHANNELS = ("online", "asan", "both", "office")
REVIEW_STATES = ("draft", "reviewed")
DEFAULT_ARTICLES_DIR = KNOWLEDGE_DIR / "articles"

_SECTION = re.compile(r"^##\s+(\w+)\s*$")
_REQUIRED = ("id", "topic", "sector", "title", "links", "agency", "channel", "sources", "review", "keywords")


def _line_of(lines: list[str], key: str, default: int) -> int:
    pattern = re.compile(rf"^\s*-?\s*{re.escape(key)}\s*:")
    for number, line in enumerate(lines, start=1):
        if pattern.match(line):
            return number
    return default


def _split_front_matter(path: Path, text: str) -> tuple[str, list[str], int]:
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise ArticleError(path, 1, "the file must start with '---' and YAML front matter")
    for end in range(1, len(lines)):
        if lines[end].strip() == "---":
            return "\n".join(lines[1:end]), lines, end + 1
    raise ArticleError(path, 1, "the front matter has no closing '---' line")


@overload
def _lang_map(path: Path, line: int, value: object, name: str, kind: type[str]) -> dict[str, str]: ...
@overload
def _lang_map(
    path: Path, line: int, value: object, name: str, kind: type[list[Any]]
) -> dict[str, list[str]]: ...
def _lang_map(path: Path, line: int, value: object, name: str, kind: type) -> dict[str, Any]:
    if not isinstance(value, dict) or set(LANGS) - set(value):
        missing = sorted(set(LANGS) - set(value)) if isinstance(value, dict) else list(LANGS)
        raise ArticleError(path, line, f"'{name}' needs az, ru and en (missing: {', '.join(missing)})")
    for code in LANGS:
        item = value[code]
        if kind is str and not (isinstance(item, str) and item.strip()):
            raise ArticleError(path, line, f"'{name}.{code}' must be non-empty text")
        if kind is list and not (
            isinstance(item, list) and all(isinstance(x, (str, int, float)) for x in item)
        ):
            raise ArticleError(path, line, f"'{name}.{code}' must be a list of texts")
    if kind is list:  # YAML reads "108" as a number; keep it as the text the editor wrote
        return {code: [str(x) for x in value[code]] for code in LANGS}
    return {code: value[code] for code in LANGS}


def _sources(path: Path, line: int, value: object) -> tuple[Source, ...]:
    if not isinstance(value, list) or not value:
        raise ArticleError(path, line, "'sources' must be a list of {url, title, accessed, supports}")
    out: list[Source] = []
    for number, item in enumerate(value, start=1):
        where = f"sources[{number}]"
        if not isinstance(item, dict):
            raise ArticleError(path, line, f"{where} must be a mapping of url, title, accessed, supports")
        url = str(item.get("url") or "")
        if urlparse(url).scheme not in ("https", "http") or not urlparse(url).hostname:
            raise ArticleError(path, line, f"{where}.url must be the address of the page read, got {url!r}")
        accessed = item.get("accessed")
        if not isinstance(accessed, dt.date):
            raise ArticleError(path, line, f"{where}.accessed must be a date like 2026-12-01")
        for key in ("title", "supports"):
            if not (isinstance(item.get(key), str) and item[key].strip()):
                raise ArticleError(path, line, f"{where}.{key} must be non-empty text")
        out.append(
            Source(url=url, title=item["title"].strip(), accessed=accessed, supports=item["supports"].strip())
        )
    return tuple(out)


def parse_review(path: Path, line: int, value: object) -> Review:
    """A review block; a review date nobody recorded (a bare date) is refused."""
    if not isinstance(value, dict) or value.get("state") not in REVIEW_STATES:
        raise ArticleError(
            path,
            line,
            "'review' must be {state: draft} or the block written by `helpdesk kb review` (state, by, date)",
        )
    if value["state"] == "draft":
        return Review()
    by, date = value.get("by"), value.get("date")
    if not (isinstance(by, str) and by.strip()) or not isinstance(date, dt.date):
        raise ArticleError(
            path,
            line,
            "a reviewed article needs 'by' (a name) and 'date' — "
            "record it with `helpdesk kb review ID --by NAME`",
        )
    note = value.get("note")
    return Review("reviewed", by.strip(), date, str(note) if note else None)


def _sections(path: Path, lines: list[str], body_start: int) -> dict[str, Section]:
    found: dict[str, tuple[int, list[str]]] = {}
    current: str | None = None
    for number in range(body_start, len(lines)):
        match = _SECTION.match(lines[number])
        if match:
            current = match.group(1)
            if current not in LANGS:
                raise ArticleError(path, number + 1, f"unknown language section '## {current}'")
            if current in found:
                raise ArticleError(path, number + 1, f"language section '## {current}' appears twice")
            found[current] = (number + 1, [])
        elif current:
            found[current][1].append(lines[number])
    sections: dict[str, Section] = {}
    for code in LANGS:
        if code not in found:
            raise ArticleError(path, len(lines), f"missing language section '## {code}'")
        line, body_lines = found[code]
        body = "\n".join(body_lines).strip()
        if not body.startswith("### "):
            raise ArticleError(path, line, f"section '## {code}' must start with a '### title' line")
        title, _, rest = body.partition("\n")
        if not rest.strip():
            raise ArticleError(path, line, f"section '## {code}' has a title but no answer text")
        sections[code] = Section(title=title[4:].strip(), body=rest.strip())
    return sections


def parse_article(
    path: Path, text: str, coverage: Coverage, domains: tuple[str, ...] | list[str] = DEFAULT_OFFICIAL_DOMAINS
) -> Article:
    import yaml  # here, not at the top: a start that finds the parse cache reads no YAML

    front, lines, body_start = _split_front_matter(path, text)
    try:
        meta = yaml.safe_load(front)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark else 1  # +1 for 1-based, +1 for the opening '---'
        raise ArticleError(
            path, line, f"broken YAML in the front matter: {getattr(exc, 'problem', exc)}"
        ) from exc
    if not isinstance(meta, dict):
        raise ArticleError(path, 2, "the front matter must be a YAML mapping of fields")

    def at(key: str) -> int:
        return _line_of(lines[:body_start], key, 1)

    for key in _REQUIRED:
        if key not in meta or meta[key] in (None, "", [], {}):
            raise ArticleError(path, body_start, f"missing required field '{key}'")
    topic, sector = str(meta["topic"]), str(meta["sector"])
    if topic not in coverage.topics:
        raise ArticleError(path, at("topic"), f"unknown topic '{topic}' (not in coverage.yaml)")
    if sector not in coverage.sectors:
        raise ArticleError(path, at("sector"), f"unknown sector '{sector}'")
    if coverage.topics[topic].get("sector") != sector:
        raise ArticleError(
            path,
            at("sector"),
            f"topic '{topic}' belongs to sector '{coverage.topics[topic].get('sector')}', not '{sector}'",
        )
    if meta["channel"] not in CHANNELS:
        raise ArticleError(path, at("channel"), f"channel must be one of {', '.join(CHANNELS)}")
    links: list[Link] = []
    if not isinstance(meta["links"], list):
        raise ArticleError(path, at("links"), "'links' must be a list of {title, url}")
    for item in meta["links"]:
        url = str(item.get("url", "")) if isinstance(item, dict) else ""
        line = _line_of(lines[:body_start], "url", at("links"))
        for number, text_line in enumerate(lines[:body_start], start=1):
            if url and url in text_line:
                line = number
        if not is_official_url(url, domains):
            raise ArticleError(
                path, line, f"link {url!r} is not https on an official domain ({', '.join(domains)})"
            )
        links.append(Link(title=_lang_map(path, line, item.get("title"), "links.title", str), url=url))
    sources = _sources(path, at("sources"), meta["sources"])
    review = parse_review(path, at("review"), meta["review"])
    optional: dict[str, dict[str, str]] = {}
    for key in ("fee", "duration"):
        if meta.get(key) is not None:
            optional[key] = _lang_map(path, at(key), meta[key], key, str)
    documents = _lang_map(
        path, at("documents"), meta.get("documents") or {c: [] for c in LANGS}, "documents", list
    )
    questions = meta.get("questions") or {c: [] for c in LANGS}
    return Article(
        id=str(meta["id"]),
        topic=topic,
        sector=sector,
        path=str(path),
        title=_lang_map(path, at("title"), meta["title"], "title", str),
        links=tuple(links),
        agency=_lang_map(path, at("agency"), meta["agency"], "agency", str),
        channel=meta["channel"],
        documents=documents,
        sections=_sections(path, lines, body_start),
        keywords=_lang_map(path, at("keywords"), meta["keywords"], "keywords", list),
        questions=_lang_map(path, at("questions"), questions, "questions", list),
        sources=sources,
        review=review,
        legal_basis=str(meta["legal_basis"]) if meta.get("legal_basis") else None,
        content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest()[:16],
        **optional,
    )


def load_knowledge_base(
    articles_dir: Path = DEFAULT_ARTICLES_DIR,
    coverage_path: Path = DEFAULT_COVERAGE,
    domains: tuple[str, ...] | list[str] = DEFAULT_OFFICIAL_DOMAINS,
    errors: list[ArticleError] | None = None,
    directory_dir: Path | None = None,
    cache_file: Path | None = None,
) -> KnowledgeBase:
    """Every article under ``articles_dir``, and the service directory.

    The first bad file stops the load with its error — unless ``errors`` is given: then every
    bad file is listed there and skipped, so ``kb check`` can show them all at once. The
    directory is ``directory_dir``, by default the ``directory`` folder beside the articles
    folder (none there: no directory); its broken entries never stop the load — they are kept in
    ``directory_errors`` (and added to ``errors``).

    With ``cache_file`` (see :mod:`knowledge.cache`), an article file whose bytes, coverage,
    domains and parser are unchanged is taken from the cache instead of being parsed again.
    """
    with no_gc():  # nothing a load makes is garbage; the collector walking it cost 1 s at 10,000
        return _load(articles_dir, coverage_path, domains, errors, directory_dir, cache_file)


def _load(
    articles_dir: Path,
    coverage_path: Path,
    domains: tuple[str, ...] | list[str],
    errors: list[ArticleError] | None,
    directory_dir: Path | None,
    cache_file: Path | None,
) -> KnowledgeBase:
    cache = open_cache(cache_file, coverage_path, domains)
    coverage = cached_coverage(coverage_path, cache)
    articles_dir = Path(articles_dir)
    if not articles_dir.is_dir():
        raise ArticleError(articles_dir, 0, "knowledge base folder not found")
    articles: list[Article] = []
    seen: dict[str, str] = {}
    paths = sorted(articles_dir.rglob("*.md"), key=lambda p: p.parts)  # (Path order, without its cost)
    for path in paths:
        try:
            articles.append(_load_one(path, coverage, domains, seen, cache))
        except ArticleError as exc:
            if errors is None:
                raise
            errors.append(exc)
    if not articles:
        raise ArticleError(articles_dir, 0, "no articles (*.md) found")
    if directory_dir is None:
        directory_dir = (
            DEFAULT_DIRECTORY_DIR
            if articles_dir.resolve() == DEFAULT_ARTICLES_DIR
            else articles_dir.parent / "directory"
        )
    directory_errors: list[ArticleError] = []
    directory = cached_directory(Path(directory_dir), coverage, domains, directory_errors, cache)
    if errors is not None:
        errors.extend(directory_errors)
    if cache is not None:
        cache.keep_only({str(p) for p in paths})
        cache.save()
    return KnowledgeBase(
        articles=articles, coverage=coverage, directory=directory, directory_errors=directory_errors
    )


def _load_one(
    path: Path,
    coverage: Coverage,
    domains: tuple[str, ...] | list[str],
    seen: dict[str, str],
    cache: ParseCache | None = None,
) -> Article:
    # A settled file whose stat is the one recorded with its entry is not read (knowledge.cache).
    stat = cache.settled_stat(path) if cache is not None else None
    article = cache.get_unread(str(path), stat) if cache is not None else None
    text = None
    if article is None:
        data = path.read_bytes()
        text = _decoded(path, data)
        if cache is not None:
            digest = file_digest(data)
            content_hash = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
            article = cache.get(str(path), digest, content_hash, stat)
        if article is None:
            article = parse_article(path, text, coverage, domains)
            if cache is not None:
                cache.put(str(path), digest, article, stat)
    if article.id in seen or article.id != path.stem:
        text = _decoded(path, path.read_bytes()) if text is None else text
        problem = (
            f"duplicate id '{article.id}' (also in {seen[article.id]})"
            if article.id in seen
            else f"id '{article.id}' must match the file name '{path.stem}'"
        )
        raise ArticleError(path, _line_of(text.splitlines(), "id", 1), problem)
    seen[article.id] = str(path)
    return article


def _decoded(path: Path, data: bytes) -> str:
    try:
        # (read_text would also turn CRLF into LF: the parser and the content hash see the same)
        return data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError as exc:
        raise ArticleError(path, 1, f"not UTF-8 text ({exc.reason})") from exc
