"""A parse cache for the knowledge base: an unchanged article file is not parsed and validated again.

Parsing YAML front matter is most of loading a large knowledge base (at 10,000 articles, tens of
seconds in PyYAML). Each entry is keyed by the file's path and the SHA-256 of its bytes, under a
*context*: the coverage file's bytes, the official domains and the source of the modules that
parse and validate, so that a change to any of them makes every entry stale. An entry is used
only when all of that matches and the article it holds is an :class:`Article` with that path and
content hash; anything else (a stale entry, a damaged or foreign file) is ignored and parsed anew,
never trusted. The cache is written beside the index, atomically, and only when it changed.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

from knowledge.common import ArticleError, Coverage, load_coverage
from knowledge.directory import Directory, load_directory
from knowledge.model import Article

CACHE_VERSION = 1
_CODE = tuple(
    Path(__file__).resolve().parent / name for name in ("loader.py", "model.py", "common.py", "directory.py")
)


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def context_key(coverage_bytes: bytes, domains: tuple[str, ...] | list[str]) -> str:
    digest = hashlib.sha256(f"v{CACHE_VERSION}\n{'|'.join(domains)}\n".encode())
    digest.update(coverage_bytes)
    for path in _CODE:  # a change to the parser or the model invalidates every entry
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _pair(value: object, kind: type) -> bool:
    return (
        isinstance(value, tuple)
        and len(value) == 2
        and isinstance(value[0], str)
        and isinstance(value[1], kind)
    )


class ParseCache:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.context = ""
        self.coverage: tuple[str, Coverage] | None = None
        self.directory: tuple[str, Directory] | None = None
        self.articles: dict[str, tuple[str, Article]] = {}  # path -> (file digest, article)
        self.dirty = False
        self.hits = 0

    @classmethod
    def open(cls, path: Path, context: str) -> ParseCache:
        """The cache at ``path`` for ``context``; a missing, damaged or other-context file is empty."""
        cache = cls(path)
        cache.context = context
        try:
            with open(path, "rb") as fh:
                data: Any = pickle.load(fh)
        except Exception:  # missing, truncated or not ours: start empty, never fail a load
            return cache
        if (
            not isinstance(data, dict)
            or data.get("version") != CACHE_VERSION
            or data.get("context") != context
        ):
            return cache
        coverage, directory, articles = data.get("coverage"), data.get("directory"), data.get("articles")
        if _pair(coverage, Coverage):
            cache.coverage = coverage
        if _pair(directory, Directory):
            cache.directory = directory
        if isinstance(articles, dict):
            cache.articles = articles
        return cache

    def get_coverage(self, digest: str) -> Coverage | None:
        if self.coverage is not None and self.coverage[0] == digest:
            return self.coverage[1]
        return None

    def put_coverage(self, digest: str, coverage: Coverage) -> None:
        self.coverage = (digest, coverage)
        self.dirty = True

    def get_directory(self, digest: str) -> Directory | None:
        if self.directory is not None and self.directory[0] == digest:
            return self.directory[1]
        return None

    def put_directory(self, digest: str, directory: Directory) -> None:
        self.directory = (digest, directory)
        self.dirty = True

    def get(self, path: str, digest: str, content_hash: str) -> Article | None:
        entry = self.articles.get(path)
        if not (isinstance(entry, tuple) and len(entry) == 2 and entry[0] == digest):
            return None
        article = entry[1]
        if not isinstance(article, Article) or article.path != path or article.content_hash != content_hash:
            return None
        self.hits += 1
        return article

    def put(self, path: str, digest: str, article: Article) -> None:
        self.articles[path] = (digest, article)
        self.dirty = True

    def keep_only(self, paths: set[str]) -> None:
        """Forget the files that are gone, so the cache does not grow with every rename."""
        for path in set(self.articles) - paths:
            del self.articles[path]
            self.dirty = True

    def save(self) -> None:
        """Write when something changed; a cache that cannot be written only costs the next parse."""
        if not self.dirty:
            return
        data = {
            "version": CACHE_VERSION,
            "context": self.context,
            "coverage": self.coverage,
            "directory": self.directory,
            "articles": self.articles,
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".kb-cache-", dir=self.path.parent)
            try:
                with os.fdopen(fd, "wb") as fh:
                    pickle.dump(data, fh, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError:
            return
        self.dirty = False


def open_cache(
    cache_file: Path | None, coverage_path: Path, domains: tuple[str, ...] | list[str]
) -> ParseCache | None:
    if cache_file is None:
        return None
    try:
        coverage_bytes = Path(coverage_path).read_bytes()
    except OSError:  # load_coverage says what is wrong with it
        return None
    return ParseCache.open(cache_file, context_key(coverage_bytes, domains))


def cached_directory(
    folder: Path,
    coverage: Coverage,
    domains: tuple[str, ...] | list[str],
    errors: list[ArticleError],
    cache: ParseCache | None,
) -> Directory:
    """The service directory; from the cache when none of its files changed (and it had no errors)."""
    if cache is None or not folder.is_dir():
        return load_directory(folder, coverage, domains, errors=errors)
    digest = hashlib.sha256(str(folder.resolve()).encode())
    for path in sorted(folder.glob("*.yaml")):
        digest.update(f"\n{path.name}\n".encode())
        digest.update(file_digest(path.read_bytes()).encode())
    key = digest.hexdigest()
    directory = cache.get_directory(key)
    if directory is None:
        directory = load_directory(folder, coverage, domains, errors=errors)
        if not errors:  # a refused entry is reported on every load, so such a result is not kept
            cache.put_directory(key, directory)
    return directory


def cached_coverage(coverage_path: Path, cache: ParseCache | None) -> Coverage:
    if cache is None:
        return load_coverage(coverage_path)
    digest = file_digest(Path(coverage_path).read_bytes())
    coverage = cache.get_coverage(digest)
    if coverage is None:
        coverage = load_coverage(coverage_path)
        cache.put_coverage(digest, coverage)
    return coverage
