"""faiss vectors of the article chunks, scored per article by the best chunk.

Vectors are L2-normalized, so an inner-product index gives cosine similarity. A flat index is
exact and, for a few thousand chunks, faster than building HNSW; past ``hnsw_above`` chunks an
HNSW graph keeps the query time flat (measured in scripts/benchmark.py).

Building that graph is most of absorbing one changed article at 10,000 articles (16 s for 90,000
passages), so an incremental build keeps the previous graph: the changed article's new passages
are added, its old rows are marked dead (article -1) and skipped by the search, and the graph is
built anew once dead rows pass ``MAX_DEAD_SHARE``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np


@dataclass(frozen=True)
class DenseHit:
    doc: int
    score: float
    chunk: int


HNSW_ABOVE = 50_000  # passages past which the index is an HNSW graph
MAX_DEAD_SHARE = 0.1  # dead rows a kept graph may carry before it is built anew


class DenseIndex:
    def __init__(self, dim: int, hnsw_above: int | None = None) -> None:
        if dim <= 0:
            raise ValueError(f"DenseIndex needs a positive dimension, got {dim!r}")
        self.dim = dim
        self.hnsw_above = HNSW_ABOVE if hnsw_above is None else hnsw_above
        self.index: faiss.Index | None = None
        self.chunk_doc = np.zeros(0, dtype=np.int64)  # chunk row -> article number
        self._dead: tuple[np.ndarray, int] | None = None  # (the chunk_doc counted, its dead rows)
        # True when nothing else reads this index (load_previous): updated() may then add to its
        # faiss index in place instead of copying it (160 MB at 10,000 articles) for the readers.
        self.private = False

    @property
    def size(self) -> int:
        return 0 if self.index is None else int(self.index.ntotal)

    @property
    def dead(self) -> int:
        """Rows of passages that are gone (kept in a graph until it is built anew); counted once
        per ``chunk_doc`` array (every search asks)."""
        if self._dead is None or self._dead[0] is not self.chunk_doc:
            self._dead = (self.chunk_doc, int(np.count_nonzero(self.chunk_doc < 0)))
        return self._dead[1]

    @property
    def is_graph(self) -> bool:
        return isinstance(self.index, faiss.IndexHNSW)

    def updated(self, remap: np.ndarray, vectors: np.ndarray, chunk_doc: list[int]) -> DenseIndex | None:
        """A copy of this graph (of a private one: the graph itself, handed on) whose rows of
        article ``a`` now belong to ``remap[a]`` (-1: dead), with ``vectors`` of articles
        ``chunk_doc`` added; None when a graph built anew is due instead."""
        if not self.is_graph or self.index is None:
            return None
        old = self.chunk_doc
        mapped = np.where(old >= 0, remap[np.clip(old, 0, None)], -1) if len(old) else old
        total = len(mapped) + len(vectors)
        dead = int(np.count_nonzero(mapped < 0))
        if total <= self.hnsw_above or dead > MAX_DEAD_SHARE * total:
            return None
        if self.private:  # its faiss index is handed on (it holds the added rows as well from now on)
            index, self.private = self.index, False
        else:
            index = faiss.clone_index(self.index)  # the previous index may still be serving
        if len(vectors):
            index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        out = DenseIndex(self.dim, self.hnsw_above)
        out.index = index
        out.chunk_doc = np.concatenate([mapped, np.asarray(chunk_doc, dtype=np.int64)]).astype(np.int64)
        return out

    def fit(self, vectors: np.ndarray, chunk_doc: list[int] | np.ndarray) -> DenseIndex:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self.dim:
            raise ValueError(f"expected vectors of shape (n, {self.dim}), got {vectors.shape}")
        if len(chunk_doc) != len(vectors):
            raise ValueError("one article number per vector is needed")
        index: faiss.Index
        if len(vectors) > self.hnsw_above:
            index = faiss.IndexHNSWFlat(self.dim, 32, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efSearch = 128
        else:
            index = faiss.IndexFlatIP(self.dim)
        index.add(vectors)
        self.index = index
        self.chunk_doc = np.asarray(chunk_doc, dtype=np.int64)
        return self

    def search(self, query_vector: np.ndarray, k: int = 10, fan_out: int = 8) -> list[DenseHit]:
        """Best ``k`` articles; each scored by its most similar chunk."""
        if self.index is None:
            raise RuntimeError("DenseIndex is empty: call fit() or load() first")
        if self.size == 0:
            return []
        q = np.ascontiguousarray(query_vector, dtype=np.float32).reshape(1, self.dim)
        n_chunks = min(self.size, max(k * fan_out, 64) + self.dead)
        scores, ids = self.index.search(q, n_chunks)
        scores, ids = scores[0], ids[0]
        found = ids >= 0
        scores, ids = scores[found], ids[found]
        docs = self.chunk_doc[ids]
        live = docs >= 0  # dead: a passage of an article changed or removed since the graph was built
        scores, ids, docs = scores[live], ids[live], docs[live]
        # Each article once, by its first (best: results come best first) passage, in that order;
        # then best first, stable (as sorting a dict of the first hits would): 240 passages a
        # search at depth 30, a Python loop over them was a third of a search at 10,000 articles.
        first = np.sort(np.unique(docs, return_index=True)[1])
        best = first[np.argsort(-scores[first].astype(np.float64), kind="stable")[:k]]
        return [DenseHit(int(docs[i]), float(scores[i]), int(ids[i])) for i in best]

    def save(self, directory: Path) -> None:
        if self.index is None:  # faiss would write a null index that no load() can read
            raise RuntimeError("DenseIndex is empty: call fit() or load() first")
        directory.mkdir(parents=True, exist_ok=True)
        faiss.write_index(self.index, str(directory / "dense.faiss"))
        np.save(directory / "dense_chunk_doc.npy", self.chunk_doc)

    @classmethod
    def load(cls, directory: Path) -> DenseIndex:
        index = faiss.read_index(str(directory / "dense.faiss"))
        dense = cls(index.d)
        dense.index = index
        dense.chunk_doc = np.load(directory / "dense_chunk_doc.npy")
        if len(dense.chunk_doc) != index.ntotal:
            raise ValueError("dense index and its chunk map disagree in length")
        return dense
