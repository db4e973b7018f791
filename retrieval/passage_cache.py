"""Passage vectors kept between builds, by a hash of the passage text.

A full build of the bundled knowledge base embeds each passage once: identical texts (a title that
is also an example question, the same keyword line in two articles, directory entries sharing a
name) go to the encoder once, and a passage already embedded by an earlier build with the same
embedder — after ``rm -rf data/index``, ``kb build --full``, or an edit that touched one paragraph
of an article — is taken from the cache instead of the encoder. The cache holds exactly the
passages of the last build, so it never grows past the index it serves.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np

from retrieval.embedders import Embedder

CACHE_FORMAT = 1
_KEY_BYTES = 16

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


class PassageCache:
    """Vectors of one embedder (by name and dimension) per passage-text hash."""

    def __init__(self, embedder_name: str, dim: int) -> None:
        if not embedder_name or dim < 1:
            raise ValueError("a passage cache needs the embedder's name and a positive dimension")
        self.embedder_name, self.dim = embedder_name, dim
        self._rows: dict[bytes, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self._rows)

    def fits(self, embedder: Embedder) -> bool:
        return (embedder.name, embedder.dim) == (self.embedder_name, self.dim)

    def encode(
        self,
        texts: Sequence[str],
        embedder: Embedder,
        batch_size: int = BUILD_BATCH,
        progress: Callable[[int], None] | None = None,
    ) -> Encoded:
        """Vectors for ``texts``: each distinct text not in the cache is embedded once."""
        if not self.fits(embedder):
            raise ValueError(f"this cache holds {self.embedder_name} vectors, not {embedder.name}")
        keys = [passage_key(text) for text in texts]
        first_of: dict[bytes, int] = {}
        missing: list[int] = []
        for position, key in enumerate(keys):
            if key in first_of:
                continue
            first_of[key] = position
            if key not in self._rows:
                missing.append(position)
        for start in range(0, len(missing), batch_size):
            batch = missing[start : start + batch_size]
            for position, vector in zip(batch, embedder.encode_passages([texts[p] for p in batch])):
                self._rows[keys[position]] = np.asarray(vector, dtype=np.float32)
            if progress:
                progress(len(batch))
        if progress and len(texts) > len(missing):
            progress(len(texts) - len(missing))
        vectors = (
            np.stack([self._rows[key] for key in keys]) if keys else np.zeros((0, self.dim), dtype=np.float32)
        )
        return Encoded(vectors, len(missing), len(first_of) - len(missing), len(texts) - len(first_of))

    def keep_only(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Hold exactly these passages (the build just made): old ones go, reused ones come in."""
        self._rows = dict(zip(map(passage_key, texts), np.asarray(vectors, dtype=np.float32)))

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        # Raw bytes, not numpy's S16 strings, which drop a key's trailing zero bytes.
        keys = np.frombuffer(b"".join(self._rows), dtype=np.uint8).reshape(-1, _KEY_BYTES)
        vectors = (
            np.stack(list(self._rows.values())) if self._rows else np.zeros((0, self.dim), dtype=np.float32)
        )
        # Written aside, then renamed: a build killed mid-save leaves the old cache, not half a one.
        for name, array in (("keys", keys), ("vectors", vectors)):
            with open(directory / f"{name}.npy.tmp", "wb") as handle:
                np.save(handle, array)
        meta = {"format": CACHE_FORMAT, "embedder": self.embedder_name, "dim": self.dim}
        (directory / "meta.json.tmp").write_text(json.dumps(meta), encoding="utf-8")
        for name in ("keys.npy", "vectors.npy", "meta.json"):
            (directory / f"{name}.tmp").replace(directory / name)

    @classmethod
    def load(cls, directory: Path, embedder: Embedder) -> PassageCache:
        """The cache saved for this embedder, or an empty one (missing, another embedder, damaged)."""
        cache = cls(embedder.name, embedder.dim)
        try:
            meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
            if (meta.get("format"), meta.get("embedder"), meta.get("dim")) != (
                CACHE_FORMAT,
                embedder.name,
                embedder.dim,
            ):
                return cache
            keys = np.load(directory / "keys.npy", allow_pickle=False)
            vectors = np.load(directory / "vectors.npy", allow_pickle=False)
        except (OSError, ValueError, json.JSONDecodeError):
            return cache  # a cache is only a shortcut: without it the build embeds everything
        if keys.shape != (len(keys), _KEY_BYTES) or vectors.shape != (len(keys), embedder.dim):
            return cache
        cache._rows = {key.tobytes(): row for key, row in zip(keys, vectors.astype(np.float32))}
        return cache
