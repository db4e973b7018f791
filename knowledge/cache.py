"""A parse cache for the knowledge base: an unchanged article file is not parsed and validated again.

Parsing YAML front matter is most of loading a large knowledge base (at 10,000 articles, tens of
seconds in PyYAML). Each entry is keyed by the file's path and the SHA-256 of its bytes, under a
*context*: the coverage file's bytes, the official domains and the source of the modules that
parse and validate, so that a change to any of them makes every entry stale. An entry is used
only when all of that matches and the article it holds is an :class:`Article` with that path and
content hash; anything else (a stale entry, a damaged or foreign file) is ignored and parsed anew,
never trusted. The cache is written beside the index: a small head file (the context, the
coverage and the directory) and the articles in shard files by a hash of their path, each file
atomically (a temporary file renamed) and only when it changed, so one changed article rewrites
one shard of about 40 entries at 10,000 articles instead of the whole cache.

A file whose stat (modification and change times in nanoseconds, size, inode) is the one recorded
with its entry is taken without being read or hashed (reading and hashing 10,000 files was a third
of a cached load). A stat is recorded only when both times were more than ``SETTLED_NS`` old at
the load: a file written again within one tick of the filesystem's clock keeps its times and,
if its size is the same, its whole stat, so a younger file is read and hashed as before, every
load, until it has settled. Any edit after that changes the change time (which no tool can set
back), so it is seen; a file put back by renaming another over it changes the inode.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import pickle
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from knowledge.common import ArticleError, Coverage, load_coverage
from knowledge.directory import Directory, load_directory
from knowledge.model import Article

CACHE_VERSION = 3  # 2: the articles in shards beside the head file; 3: the files' stats beside them
SETTLED_NS = 2_000_000_000  # a file's times must be this old before its stat stands for its bytes
Stat = tuple[int, int, int, int]  # mtime_ns, size, inode, ctime_ns
_CODE = tuple(
    Path(__file__).resolve().parent / name for name in ("loader.py", "model.py", "common.py", "directory.py")
)


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _now_ns() -> int:
    return time.time_ns()


def _stat(path: Path) -> os.stat_result:
    return os.stat(path)


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


SHARD_DIGITS = 2  # entries are spread over 16**2 shard files by a hash of their path


def shard_of(path: str) -> str:
    return hashlib.sha256(path.encode("utf-8")).hexdigest()[:SHARD_DIGITS]


def shards_dir(path: Path) -> Path:
    """The folder of the article shards beside the cache's head file."""
    path = Path(path)
    return path.with_name(path.stem + ".shards")


@contextlib.contextmanager
def no_gc() -> Iterator[None]:
    """The collector paused: unpickling or parsing 10,000 articles makes it walk them again and
    again (about 1 s of a 1.3 s cached load, measured); none of it is garbage, so it waits until
    the load is done. Process-wide while it lasts (a load in one thread pauses it for all).

    On the way out what was made is handed straight to the oldest generation (see
    :func:`promote_young`): left young, the ~250,000 objects of a 10,000-article load were walked
    by the next young collections and then by a full one that they themselves set off (0.5-1.1 s
    of absorbing one change, measured). Nested, only the outermost pause hands them on."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            promote_young()
            gc.enable()


def promote_young() -> None:
    """Move every object the collector tracks into its oldest generation without walking them.

    ``gc.freeze()`` then ``gc.unfreeze()``: documented to put the frozen objects back into the
    oldest generation. They stay collectable (a cycle among them is found by the next full
    collection, as for any old object); they only skip the young collections, and in CPython they
    do not count towards the objects that set off a full one. Skipped if something else froze
    objects (unfreezing would release those too)."""
    if gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()


def _read(path: Path, context: str) -> dict[str, Any] | None:
    """A file of this cache's version and context, or None (missing, torn, foreign or stale)."""
    try:
        with open(path, "rb") as fh, no_gc():
            data: Any = pickle.load(fh)
    except Exception:  # missing, truncated or not ours: start empty, never fail a load
        return None
    if not isinstance(data, dict) or data.get("version") != CACHE_VERSION or data.get("context") != context:
        return None
    return data


def _write(path: Path, data: dict[str, Any]) -> None:
    """Atomically: a reader sees the old file or the new one, never half of one."""
    fd, tmp = tempfile.mkstemp(prefix=".kb-cache-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(data, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class ParseCache:
    """The head file (version, context, coverage, directory) and, in a folder beside it, the
    articles in shards by a hash of their path: one changed article rewrites its shard (about
    40 entries at 10,000 articles), not the whole cache. Each file is written atomically and
    checked on its own, so a torn, stale or foreign shard only costs parsing its articles again."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.context = ""
        self.coverage: tuple[str, Coverage] | None = None
        self.directory: tuple[str, Directory] | None = None
        self.shards: dict[str, dict[str, tuple[str, Article]]] = {}  # shard -> path -> (digest, article)
        self.stats: dict[str, dict[str, Stat]] = {}  # shard -> path -> the settled stat of its file
        self.opened_ns = _now_ns()
        self.head_dirty = False
        self.dirty_shards: set[str] = set()
        self.rewrite_all = False  # the head was not ours: every shard on disk is rewritten or removed
        self.hits = 0
        self.unread_hits = 0  # of those, taken by their stat without reading the file

    @property
    def dirty(self) -> bool:
        return self.head_dirty or bool(self.dirty_shards) or self.rewrite_all

    @property
    def articles(self) -> dict[str, tuple[str, Article]]:
        """Every entry, path -> (file digest, article) (a copy, for reading)."""
        return {path: entry for shard in self.shards.values() for path, entry in shard.items()}

    @classmethod
    def open(cls, path: Path, context: str) -> ParseCache:
        """The cache at ``path`` for ``context``; a missing, damaged or other-context file is empty."""
        cache = cls(path)
        cache.context = context
        head = _read(cache.path, context)
        if head is None:
            cache.rewrite_all = True
            return cache
        coverage, directory = head.get("coverage"), head.get("directory")
        if _pair(coverage, Coverage):
            cache.coverage = coverage
        if _pair(directory, Directory):
            cache.directory = directory
        folder = shards_dir(cache.path)
        try:
            names = sorted(p.name for p in folder.iterdir() if p.suffix == ".pickle")
        except OSError:
            names = []
        for name in names:
            shard = name[: -len(".pickle")]
            data = _read(folder / name, context)
            articles = data.get("articles") if data is not None else None
            if data is None or data.get("shard") != shard or not isinstance(articles, dict):
                cache.dirty_shards.add(shard)  # rewritten (or removed) at the next save
                continue
            cache.shards[shard] = articles
            stats = data.get("stats")
            if isinstance(stats, dict):
                cache.stats[shard] = stats
        return cache

    def get_coverage(self, digest: str) -> Coverage | None:
        if self.coverage is not None and self.coverage[0] == digest:
            return self.coverage[1]
        return None

    def put_coverage(self, digest: str, coverage: Coverage) -> None:
        self.coverage = (digest, coverage)
        self.head_dirty = True

    def get_directory(self, digest: str) -> Directory | None:
        if self.directory is not None and self.directory[0] == digest:
            return self.directory[1]
        return None

    def put_directory(self, digest: str, directory: Directory) -> None:
        self.directory = (digest, directory)
        self.head_dirty = True

    def settled_stat(self, path: Path) -> Stat | None:
        """The file's stat, if both its times are older than ``SETTLED_NS`` at this load (else None:
        its bytes are read and hashed). Taken before the file is read, so a write after it changes
        the stat the next load compares."""
        try:
            st = _stat(path)
        except OSError:
            return None
        if self.opened_ns - max(st.st_mtime_ns, st.st_ctime_ns) <= SETTLED_NS:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)

    def get_unread(self, path: str, stat: Stat | None) -> Article | None:
        """The entry of a file whose settled stat is the one recorded with it, without reading it."""
        shard = shard_of(path)
        if stat is None or self.stats.get(shard, {}).get(path) != stat:
            return None
        entry = self.shards.get(shard, {}).get(path)
        if not (isinstance(entry, tuple) and len(entry) == 2):
            return None
        article = entry[1]
        if not isinstance(article, Article) or article.path != path:
            return None
        self.hits += 1
        self.unread_hits += 1
        return article

    def get(self, path: str, digest: str, content_hash: str, stat: Stat | None = None) -> Article | None:
        entry = self.shards.get(shard_of(path), {}).get(path)
        if not (isinstance(entry, tuple) and len(entry) == 2 and entry[0] == digest):
            return None
        article = entry[1]
        if not isinstance(article, Article) or article.path != path or article.content_hash != content_hash:
            return None
        self.hits += 1
        self._note_stat(path, stat)
        return article

    def put(self, path: str, digest: str, article: Article, stat: Stat | None = None) -> None:
        shard = shard_of(path)
        self.shards.setdefault(shard, {})[path] = (digest, article)
        self.dirty_shards.add(shard)
        self._note_stat(path, stat)

    def _note_stat(self, path: str, stat: Stat | None) -> None:
        """Record the settled stat of a file just hashed (None: forget any, it is not settled)."""
        shard = shard_of(path)
        stats = self.stats.setdefault(shard, {})
        if stats.get(path) == stat:
            return
        if stat is None:
            del stats[path]
        else:
            stats[path] = stat
        self.dirty_shards.add(shard)

    def keep_only(self, paths: set[str]) -> None:
        """Forget the files that are gone, so the cache does not grow with every rename."""
        for shard, entries in self.shards.items():
            gone = set(entries) - paths
            for path in gone:
                del entries[path]
                self.stats.get(shard, {}).pop(path, None)
            if gone:
                self.dirty_shards.add(shard)

    def save(self) -> None:
        """Write what changed; a cache that cannot be written only costs the next parse."""
        if not self.dirty:
            return
        folder = shards_dir(self.path)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if self.rewrite_all:  # shards of another context or version: none may stay
                for stale in folder.glob("*.pickle"):
                    if stale.name[: -len(".pickle")] not in self.shards:
                        stale.unlink(missing_ok=True)
                self.dirty_shards |= set(self.shards)
            for shard in sorted(self.dirty_shards):
                entries = self.shards.get(shard)
                target = folder / f"{shard}.pickle"
                if not entries:
                    target.unlink(missing_ok=True)
                    continue
                data = {
                    "version": CACHE_VERSION,
                    "context": self.context,
                    "shard": shard,
                    "articles": entries,
                    "stats": {p: st for p, st in self.stats.get(shard, {}).items() if p in entries},
                }
                _write(target, data)
            if self.head_dirty or self.rewrite_all:  # the head last: it makes the shards valid
                head = {
                    "version": CACHE_VERSION,
                    "context": self.context,
                    "coverage": self.coverage,
                    "directory": self.directory,
                }
                _write(self.path, head)
        except OSError:
            return
        self.head_dirty = self.rewrite_all = False
        self.dirty_shards.clear()


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
