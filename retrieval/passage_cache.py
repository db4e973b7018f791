"""Passage vectors kept between builds, by a hash of the passage text.

A full build of the bundled knowledge base embeds each passage once: identical texts (a title that
is also an example question, the same keyword line in two articles, directory entries sharing a
name) go to the encoder once, and a passage already embedded by an earlier build with the same
embedder — after ``rm -rf data/index``, ``kb build --full``, or an edit that touched one paragraph
of an article — is taken from the cache instead of the encoder.

On disk the cache is a base (``keys.npy``, ``vectors.npy``: the passages of the last build that
rewrote it, read memory-mapped) and a journal of the passages embedded since (appended, never
rewritten), so absorbing one changed article at 10,000 articles reads and writes a few rows, not
90,000. A build rewrites the base to hold exactly its own passages when it has every vector at
hand anyway (a full build, a graph built anew) or once the journal passes a tenth of the base;
so the cache never holds more than about 1.1 times the passages of the index it serves.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np

from retrieval.embedders import Embedder

CACHE_FORMAT = 2  # 1: a base only (read as a base with an empty journal)
_KEY_BYTES = 16
# The journal's share of the base beyond which the next build rewrites the base (see above).
COMPACT_SHARE = 0.1

# Passages per encoder call in a build. Measured on the bundled e5 (768 passages, 2 cores, CPU
# seconds): 32 → 54–61, 64 → 44–49, 128 → 43, 256 → 38. Fewer, larger calls spread the engine's
# per-call cost; 128 takes most of the gain while a batch of long body paragraphs stays small.
BUILD_BATCH = 128


class Encoded(NamedTuple):
    """Vectors in the order of the texts asked for, and how they were got."""

    vectors: np.ndarray
    embedded: int  # texts sent to the encoder
    cached: int  # texts found in the cache
    repeated: int  # texts that appeared earlier in the same request


def passage_key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=_KEY_BYTES).digest()


class _Saved(NamedTuple):
    """What a cache folder held when this cache was read from or written to it."""

    directory: Path
    base: int
    journal: int


class PassageCache:
    """Vectors of one embedder (by name and dimension) per passage-text hash."""

    def __init__(self, embedder_name: str, dim: int) -> None:
        if not embedder_name or dim < 1:
            raise ValueError("a passage cache needs the embedder's name and a positive dimension")
        self.embedder_name, self.dim = embedder_name, dim
        self._row_of: dict[bytes, int] = {}  # rows: the base's, then the journal's
        self._base_keys: list[bytes] = []
        self._base = np.zeros((0, dim), dtype=np.float32)  # (memory-mapped when read from disk)
        self._added_keys: list[bytes] = []
        self._added: list[np.ndarray] = []
        self._saved: _Saved | None = None

    def __len__(self) -> int:
        return len(self._row_of)

    @property
    def journal_rows(self) -> int:
        """Passages added since the base was last rewritten."""
        return len(self._added)

    def fits(self, embedder: Embedder) -> bool:
        return (embedder.name, embedder.dim) == (self.embedder_name, self.dim)

    def wants_rewrite(self) -> bool:
        """Whether the journal has outgrown the base (or there is no base to journal against)."""
        return not self._base_keys or len(self._added) > COMPACT_SHARE * len(self._base_keys)

    def _vectors(self, keys: Sequence[bytes]) -> np.ndarray:
        rows = np.fromiter((self._row_of[key] for key in keys), dtype=np.int64, count=len(keys))
        out = np.empty((len(keys), self.dim), dtype=np.float32)
        in_base = rows < len(self._base_keys)
        out[in_base] = self._base[rows[in_base]]
        for position in np.flatnonzero(~in_base):
            out[position] = self._added[rows[position] - len(self._base_keys)]
        return out

    def encode(
        self,
        texts: Sequence[str],
        embedder: Embedder,
        batch_size: int = BUILD_BATCH,
        progress: Callable[[int], None] | None = None,
    ) -> Encoded:
        """Vectors for ``texts``: each distinct text not in the cache is embedded once (and kept)."""
        if not self.fits(embedder):
            raise ValueError(f"this cache holds {self.embedder_name} vectors, not {embedder.name}")
        keys = [passage_key(text) for text in texts]
        first_of: dict[bytes, int] = {}
        missing: list[int] = []
        for position, key in enumerate(keys):
            if key in first_of:
                continue
            first_of[key] = position
            if key not in self._row_of:
                missing.append(position)
        for start in range(0, len(missing), batch_size):
            batch = missing[start : start + batch_size]
            for position, vector in zip(batch, embedder.encode_passages([texts[p] for p in batch])):
                self._add(keys[position], vector)
            if progress:
                progress(len(batch))
        if progress and len(texts) > len(missing):
            progress(len(texts) - len(missing))
        return Encoded(
            self._vectors(keys), len(missing), len(first_of) - len(missing), len(texts) - len(first_of)
        )

    def _add(self, key: bytes, vector: np.ndarray) -> None:
        self._row_of[key] = len(self._base_keys) + len(self._added)
        self._added_keys.append(key)
        self._added.append(np.asarray(vector, dtype=np.float32))

    def keep_only(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Hold exactly these passages (the build just made): old ones go, reused ones come in."""
        first_of: dict[bytes, int] = {}
        for position, key in enumerate(map(passage_key, texts)):
            first_of.setdefault(key, position)
        self._base_keys = list(first_of)
        self._row_of = {key: row for row, key in enumerate(self._base_keys)}
        self._base = np.asarray(vectors, dtype=np.float32)[list(first_of.values())]
        self._added_keys, self._added = [], []
        self._saved = None  # the folder no longer matches: the next save writes the base

    def save(self, directory: Path) -> None:
        """Append the journal's new rows to the folder this cache came from, else write it all."""
        directory = Path(directory)
        saved = self._saved
        if saved is not None and saved.directory == directory and saved.base == len(self._base_keys):
            try:
                generation, base, journal = _read_meta(directory, self.embedder_name, self.dim)
            except (OSError, ValueError, KeyError, TypeError, json.JSONDecodeError):
                generation = 0  # written whole below
            # (generation 0, format 1's files, has no journal: it is written whole)
            if generation >= 1 and (base, journal) == (saved.base, saved.journal):
                self._append(directory, saved, generation)
                return
        self._write_all(directory)

    def _append(self, directory: Path, saved: _Saved, generation: int) -> None:
        new = slice(saved.journal, len(self._added))
        for kind, payload, row_bytes in (
            ("keys", b"".join(self._added_keys[new]), _KEY_BYTES),
            ("vectors", b"".join(v.tobytes() for v in self._added[new]), 4 * self.dim),
        ):
            path = directory / _journal_name(kind, generation)
            # Past the recorded rows a crashed append may have left bytes: they are overwritten.
            with open(path, "r+b" if path.exists() else "w+b") as handle:
                handle.seek(saved.journal * row_bytes)
                handle.write(payload)
                handle.truncate()
                handle.flush()
                os.fsync(handle.fileno())
        # The rows count only once the meta says so (written aside, then renamed).
        self._write_meta(directory, generation, len(self._base_keys), len(self._added))
        self._saved = _Saved(directory, len(self._base_keys), len(self._added))

    def _write_all(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        try:
            generation = _read_meta(directory, self.embedder_name, self.dim)[0] + 1
        except (OSError, ValueError, KeyError, TypeError, json.JSONDecodeError):
            generation = 1
        every_key = self._base_keys + self._added_keys
        # Raw bytes, not numpy's S16 strings, which drop a key's trailing zero bytes.
        keys = np.frombuffer(b"".join(every_key), dtype=np.uint8).reshape(-1, _KEY_BYTES)
        added = np.asarray(self._added, dtype=np.float32).reshape(-1, self.dim)
        vectors = np.concatenate([np.asarray(self._base, dtype=np.float32), added])
        # A new generation of files beside the old, then the meta naming it renamed into place: a
        # build killed mid-save leaves the old cache whole, never one file of each.
        for kind, array in (("keys", keys), ("vectors", vectors)):
            with open(directory / _base_name(kind, generation), "wb") as handle:
                np.save(handle, array)
        for kind in ("keys", "vectors"):
            (directory / _journal_name(kind, generation)).write_bytes(b"")
        self._write_meta(directory, generation, len(every_key), 0)
        for stale in directory.iterdir():  # the earlier generations' files
            if stale.suffix in (".npy", ".bin") and stale.name.split(".")[-2] != str(generation):
                stale.unlink(missing_ok=True)
        self._saved = _Saved(directory, len(every_key), 0)
        self._base_keys, self._base = every_key, vectors
        self._added_keys, self._added = [], []

    def _write_meta(self, directory: Path, generation: int, base: int, journal: int) -> None:
        meta = {
            "format": CACHE_FORMAT,
            "embedder": self.embedder_name,
            "dim": self.dim,
            "generation": generation,
            "base": base,
            "journal": journal,
        }
        (directory / "meta.json.tmp").write_text(json.dumps(meta), encoding="utf-8")
        (directory / "meta.json.tmp").replace(directory / "meta.json")

    @classmethod
    def load(cls, directory: Path, embedder: Embedder) -> PassageCache:
        """The cache saved for this embedder, or an empty one (missing, another embedder, damaged)."""
        cache = cls(embedder.name, embedder.dim)
        directory = Path(directory)
        try:
            generation, base, journal = _read_meta(directory, embedder.name, embedder.dim)
            keys = np.load(directory / _base_name("keys", generation), allow_pickle=False)
            vectors = np.load(
                directory / _base_name("vectors", generation), mmap_mode="r", allow_pickle=False
            )
            journal_keys = _read_rows(directory / _journal_name("keys", generation), journal, _KEY_BYTES)
            journal_vectors = _read_rows(
                directory / _journal_name("vectors", generation), journal, 4 * embedder.dim
            )
        except (OSError, ValueError, KeyError, TypeError, json.JSONDecodeError):
            return cache  # a cache is only a shortcut: without it the build embeds everything
        if (
            keys.shape != (base, _KEY_BYTES)
            or vectors.shape != (base, embedder.dim)
            or vectors.dtype != np.float32
        ):
            return cache
        raw = keys.tobytes()
        cache._base_keys = [raw[i : i + _KEY_BYTES] for i in range(0, len(raw), _KEY_BYTES)]
        cache._base = vectors
        cache._row_of = {key: row for row, key in enumerate(cache._base_keys)}
        added = np.frombuffer(journal_vectors, dtype=np.float32).reshape(journal, embedder.dim)
        for row in range(journal):
            key = journal_keys[row * _KEY_BYTES : (row + 1) * _KEY_BYTES]
            if key not in cache._row_of:  # (a journal never repeats a key; a damaged one is ignored)
                cache._add(key, added[row])
        whole = len(cache._added) == journal and len(cache._row_of) == base + journal
        cache._saved = _Saved(directory, base, journal) if whole else None
        return cache


def _base_name(kind: str, generation: int) -> str:
    return f"{kind}.npy" if generation == 0 else f"{kind}.{generation}.npy"  # 0: format 1's names


def _journal_name(kind: str, generation: int) -> str:
    return f"journal_{kind}.{generation}.bin"


def _read_meta(directory: Path, embedder_name: str, dim: int) -> tuple[int, int, int]:
    """(generation, base rows, journal rows) of the folder's cache for this embedder; ValueError
    for another embedder or format."""
    meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
    if meta.get("format") not in (1, CACHE_FORMAT) or (meta.get("embedder"), meta.get("dim")) != (
        embedder_name,
        dim,
    ):
        raise ValueError("another format or embedder")
    if meta["format"] == 1:  # generation 0: a base only, its rows the keys file's
        keys = np.load(directory / _base_name("keys", 0), mmap_mode="r", allow_pickle=False)
        return 0, len(keys), 0
    generation, base, journal = int(meta["generation"]), int(meta["base"]), int(meta["journal"])
    if generation < 1 or base < 0 or journal < 0:
        raise ValueError("negative row counts")
    return generation, base, journal


def _read_rows(path: Path, rows: int, row_bytes: int) -> bytes:
    """The first ``rows`` rows of a journal file (bytes past them: an append that did not finish)."""
    if rows == 0:
        return b""
    with open(path, "rb") as handle:
        data = handle.read(rows * row_bytes)
    if len(data) != rows * row_bytes:
        raise ValueError(f"{path.name} is shorter than its meta says")
    return data
