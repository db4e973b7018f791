"""The service directory: every state service a citizen can use, one YAML entry each.

An entry names the service and its agency in az/ru/en, gives one official link, the channel and
the sector, keywords, the page it was taken from (``source``) and, where an article covers it, the
article's ``topic``. Retrieval indexes entries beside the articles; a question whose best match is
an entry with no article is *referred* (service, agency, link) instead of answered with the
nearest, wrong card. A broken entry is refused with file and line; the rest keep serving.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, overload

from knowledge.common import (
    DEFAULT_OFFICIAL_DOMAINS,
    KNOWLEDGE_DIR,
    LANGS,
    ArticleError,
    Coverage,
    is_official_url,
    load_coverage,
)

DEFAULT_DIRECTORY_DIR = KNOWLEDGE_DIR / "directory"
DIRECTORY_CHANNELS = ("online", "asan", "office")
# Services outside the articles' sectors still need a home in the menu and the reports.
EXTRA_SECTORS = (
    "agriculture",
    "environment",
    "construction",
    "communications",
    "culture",
    "consular",
    "finance",
    "sport",
)
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,79}$")


@dataclass(frozen=True)
class ServiceEntry:
    id: str
    name: dict[str, str]
    agency: dict[str, str]
    url: str
    channel: str
    sector: str
    keywords: dict[str, list[str]]
    source: str
    path: str
    line: int
    topic: str | None = None
    content_hash: str = ""

    def search_text(self) -> str:
        """What BM25 matches: the names and keywords count twice, the agency once."""
        parts: list[str] = []
        for lang in LANGS:
            parts += [self.name[lang]] * 2 + self.keywords[lang] * 2 + [self.agency[lang]]
        return "\n".join(parts)

    def chunks(self) -> list[str]:
        """Short passages to embed: the name, and the name with its keywords, per language."""
        out: list[str] = []
        for lang in LANGS:
            out.append(self.name[lang])
            if self.keywords[lang]:
                out.append(f"{self.name[lang]}: {', '.join(self.keywords[lang])}")
        return out


@dataclass(frozen=True)
class Directory:
    entries: tuple[ServiceEntry, ...] = ()

    @property
    def by_id(self) -> dict[str, ServiceEntry]:
        return {e.id: e for e in self.entries}

    @property
    def content_hash(self) -> str:
        digest = hashlib.sha256()
        for entry in sorted(self.entries, key=lambda e: e.id):
            digest.update(entry.content_hash.encode())
        return digest.hexdigest()[:16]


@functools.cache
def _line_loader() -> type:
    """A safe YAML loader that remembers the line of every mapping (for file:line errors); made
    on first use, so a start that finds the parse cache imports no YAML."""
    import yaml

    class LineLoader(yaml.SafeLoader):
        pass

    def mapping_with_line(loader: LineLoader, node: yaml.MappingNode) -> dict[Hashable, Any]:
        mapping = loader.construct_mapping(node, deep=True)
        mapping["__line__"] = node.start_mark.line + 1
        return mapping

    LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping_with_line)
    return LineLoader


@overload
def _texts(path: Path, line: int, value: object, name: str, as_list: Literal[False]) -> dict[str, str]: ...
@overload
def _texts(
    path: Path, line: int, value: object, name: str, as_list: Literal[True]
) -> dict[str, list[str]]: ...
def _texts(path: Path, line: int, value: object, name: str, as_list: bool) -> dict[str, Any]:
    if not isinstance(value, dict) or set(LANGS) - set(value):
        have = set(value) if isinstance(value, dict) else set()
        raise ArticleError(
            path, line, f"'{name}' needs az, ru and en (missing: {', '.join(sorted(set(LANGS) - have))})"
        )
    out: dict[str, Any] = {}
    for lang in LANGS:
        item = value[lang]
        if as_list:
            if not isinstance(item, list) or not all(isinstance(x, (str, int, float)) for x in item):
                raise ArticleError(path, line, f"'{name}.{lang}' must be a list of texts")
            out[lang] = [str(x) for x in item]
        else:
            if not (isinstance(item, str) and item.strip()):
                raise ArticleError(path, line, f"'{name}.{lang}' must be non-empty text")
            out[lang] = item.strip()
    return out


def parse_entry(
    path: Path, item: object, coverage: Coverage, domains: tuple[str, ...] | list[str]
) -> ServiceEntry:
    if not isinstance(item, dict):
        raise ArticleError(path, 1, "each service must be a mapping of fields")
    line = int(item.get("__line__", 1))
    for key in ("id", "name", "agency", "url", "channel", "sector", "keywords", "source"):
        if item.get(key) in (None, "", [], {}):
            raise ArticleError(path, line, f"missing required field '{key}'")
    entry_id = str(item["id"])
    if not _ID.match(entry_id):
        raise ArticleError(path, line, f"id {entry_id!r} must be lowercase letters, digits and dashes")
    url = str(item["url"])
    if not is_official_url(url, domains):
        raise ArticleError(
            path, line, f"link {url!r} is not https on an official domain ({', '.join(domains)})"
        )
    source = str(item["source"])
    if not re.match(r"^https?://[^\s/]+", source):
        raise ArticleError(path, line, f"source {source!r} must be the address of the page it was taken from")
    if item["channel"] not in DIRECTORY_CHANNELS:
        raise ArticleError(path, line, f"channel must be one of {', '.join(DIRECTORY_CHANNELS)}")
    sector = str(item["sector"])
    if sector not in coverage.sectors and sector not in EXTRA_SECTORS:
        raise ArticleError(path, line, f"unknown sector '{sector}'")
    topic = item.get("topic")
    if topic is not None and str(topic) not in coverage.topics:
        raise ArticleError(path, line, f"unknown topic '{topic}' (not in coverage.yaml)")
    fields = {k: v for k, v in item.items() if k != "__line__"}
    return ServiceEntry(
        id=entry_id,
        name=_texts(path, line, item["name"], "name", False),
        agency=_texts(path, line, item["agency"], "agency", False),
        url=url,
        channel=item["channel"],
        sector=sector,
        keywords=_texts(path, line, item["keywords"], "keywords", True),
        source=source,
        path=str(path),
        line=line,
        topic=str(topic) if topic is not None else None,
        content_hash=hashlib.sha256(repr(sorted(fields.items())).encode()).hexdigest()[:16],
    )


def load_directory(
    directory_dir: Path = DEFAULT_DIRECTORY_DIR,
    coverage: Coverage | None = None,
    domains: tuple[str, ...] | list[str] = DEFAULT_OFFICIAL_DOMAINS,
    errors: list[ArticleError] | None = None,
) -> Directory:
    """Every entry of ``directory_dir/*.yaml``; a missing folder is an empty directory.

    A broken file or entry is an :class:`ArticleError` — collected in ``errors`` (and skipped)
    when it is given, so one bad entry never takes the others down.
    """
    coverage = coverage or load_coverage()
    folder = Path(directory_dir)
    if not folder.is_dir():
        return Directory()
    entries: list[ServiceEntry] = []
    seen: dict[str, str] = {}

    def refuse(error: ArticleError) -> None:
        if errors is None:
            raise error
        errors.append(error)

    import yaml

    for path in sorted(folder.glob("*.yaml")):
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=_line_loader())  # noqa: S506
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            mark = getattr(exc, "problem_mark", None)
            refuse(ArticleError(path, mark.line + 1 if mark else 1, f"broken YAML: {exc}"))
            continue
        services = data.get("services") if isinstance(data, dict) else None
        if not isinstance(services, list):
            refuse(ArticleError(path, 1, "the file must hold a 'services:' list"))
            continue
        for item in services:
            try:
                entry = parse_entry(path, item, coverage, domains)
                if entry.id in seen:
                    raise ArticleError(
                        path, entry.line, f"duplicate service id '{entry.id}' (also in {seen[entry.id]})"
                    )
            except ArticleError as exc:
                refuse(exc)
                continue
            seen[entry.id] = f"{path.name}:{entry.line}"
            entries.append(entry)
    return Directory(tuple(entries))
