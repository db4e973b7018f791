"""faiss vectors of the article chunks, scored per article by the best chunk.

Vectors are L2-normalized, so an inner-product index gives cosine similarity. A flat index is
exact and, for a few thousand chunks, faster than building HNSW; past ``hnsw_above`` chunks an
HNSW graph keeps the query time flat (measured in scripts/benchmark.py).

Building that graph is most of absorbing one changed article at 10,000 articles (16 s for 90,000
passages), so an incremental build keeps the previous graph: its rows of the changed article are
marked dead (article -1) and skipped by the search, and the new passages go to a small exact (flat)
index beside it, searched with it and merged by score; the graph is built anew once dead or added
rows pass ``MAX_DEAD_SHARE``. The kept graph itself never changes, so it is shared rather than
copied, and saved by a hard link to the file it was read from (when that file is still the one
read) instead of being written again: adding 10 passages to it made faiss regrow and copy its
138 MB of vectors, and writing it was 160 MB; together a third of absorbing one change.
"""

from __future__ import annotations

import os
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
MAX_DEAD_SHARE = 0.1  # dead (or added) rows a kept graph may carry before it is built anew
GRAPH_FILE, EXTRA_FILE, CHUNK_DOC_FILE = "dense.faiss", "dense_extra.faiss", "dense_chunk_doc.npy"
FileStamp = tuple[int, int, int, int]  # device, inode, size, modification time (ns)


def _stamp(path: Path) -> FileStamp | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


class DenseIndex:
    def __init__(self, dim: int, hnsw_above: int | None = None) -> None:
        if dim <= 0:
            raise ValueError(f"DenseIndex needs a positive dimension, got {dim!r}")
        self.dim = dim
        self.hnsw_above = HNSW_ABOVE if hnsw_above is None else hnsw_above
        self.index: faiss.Index | None = None  # never changed once fitted or loaded (it may be shared)
        # Passages added to a kept graph, searched exactly; their rows follow the graph's.
        self.extra: faiss.Index | None = None  # an IndexFlatIP
        self.chunk_doc = np.zeros(0, dtype=np.int64)  # chunk row -> article number
        self._dead: tuple[np.ndarray, int] | None = None  # (the chunk_doc counted, its dead rows)
        # The file ``index`` was read from and its stamp then: saved again as a link to it.
        self.source: tuple[Path, FileStamp] | None = None

    @property
    def size(self) -> int:
        if self.index is None:
            return 0
        return int(self.index.ntotal) + (0 if self.extra is None else int(self.extra.ntotal))

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
        """This graph, shared and unchanged, whose rows of article ``a`` now belong to ``remap[a]``
        (-1: dead), with ``vectors`` of articles ``chunk_doc`` added to (a copy of) its exact side
        index; None when a graph built anew is due instead."""
        if not self.is_graph or self.index is None:
            return None
        old = self.chunk_doc
        mapped = np.where(old >= 0, remap[np.clip(old, 0, None)], -1) if len(old) else old
        total = len(mapped) + len(vectors)
        dead = int(np.count_nonzero(mapped < 0))
        added = (0 if self.extra is None else int(self.extra.ntotal)) + len(vectors)
        if total <= self.hnsw_above or max(dead, added) > MAX_DEAD_SHARE * total:
            return None
        out = DenseIndex(self.dim, self.hnsw_above)
        out.index, out.source = self.index, self.source
        if added:
            extra = faiss.IndexFlatIP(self.dim) if self.extra is None else faiss.clone_index(self.extra)
            if len(vectors):
                extra.add(np.ascontiguousarray(vectors, dtype=np.float32))
            out.extra = extra
        out.chunk_doc = np.concatenate([mapped, np.asarray(chunk_doc, dtype=np.int64)]).astype(np.int64)
        return out

    def vectors(self) -> np.ndarray:
        """Every row's vector, in row order (the graph's, then the added ones), read once into
        one array (reading each part and joining them copied 138 MB twice at 10,000 articles)."""
        if self.index is None:
            raise RuntimeError("DenseIndex is empty: call fit() or load() first")
        out = np.empty((self.size, self.dim), dtype=np.float32)
        graph_rows = int(self.index.ntotal)
        self.index.reconstruct_n(0, graph_rows, out[:graph_rows])
        if self.extra is not None and self.extra.ntotal:
            self.extra.reconstruct_n(0, int(self.extra.ntotal), out[graph_rows:])
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
        self.index, self.extra, self.source = index, None, None
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
        if self.extra is not None and self.extra.ntotal:
            more, more_ids = self.extra.search(q, min(n_chunks, int(self.extra.ntotal)))
            more_ids = np.where(more_ids[0] >= 0, more_ids[0] + self.index.ntotal, -1)
            scores, ids = np.concatenate([scores, more[0]]), np.concatenate([ids, more_ids])
            order = np.argsort(-scores, kind="stable")  # best first; ties: the graph's rows first
            scores, ids = scores[order], ids[order]
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
        for name in (GRAPH_FILE, EXTRA_FILE):  # never written through: it may be a link to another
            (directory / name).unlink(missing_ok=True)
        if not self._link_source(directory / GRAPH_FILE):
            faiss.write_index(self.index, str(directory / GRAPH_FILE))
        if self.extra is not None:
            faiss.write_index(self.extra, str(directory / EXTRA_FILE))
        np.save(directory / CHUNK_DOC_FILE, self.chunk_doc)

    def _link_source(self, target: Path) -> bool:
        """The unchanged index saved as a hard link to the file it was read from, if that file is
        still the one read (same device, inode, size and modification time)."""
        if self.source is None:
            return False
        path, stamp = self.source
        if _stamp(path) != stamp:
            return False
        try:
            os.link(path, target)
        except OSError:  # another filesystem, or links not allowed: written instead
            return False
        return True

    @classmethod
    def load(cls, directory: Path) -> DenseIndex:
        path = directory / GRAPH_FILE
        stamp = _stamp(path)
        index = faiss.read_index(str(path))
        dense = cls(index.d)
        dense.index = index
        if stamp is not None and _stamp(path) == stamp:  # (not replaced while it was read)
            dense.source = (path, stamp)
        if (directory / EXTRA_FILE).is_file():
            extra = faiss.read_index(str(directory / EXTRA_FILE))
            if not isinstance(extra, faiss.IndexFlatIP) or extra.d != index.d:
                raise ValueError("the added passages' index is not a flat index of the graph's dimension")
            dense.extra = extra
        dense.chunk_doc = np.load(directory / CHUNK_DOC_FILE)
        if len(dense.chunk_doc) != dense.size:
            raise ValueError("dense index and its chunk map disagree in length")
        return dense


def gather_vectors(
    previous: DenseIndex | None, pieces: list[np.ndarray | None], rows: dict[int, np.ndarray], dim: int
) -> np.ndarray:
    """Every vector of a build in row order: ``pieces`` per article, and where a piece is None,
    rows ``rows[number]`` of the previous index (read once). Each vector is copied once, into
    one array (a piece per article, then joined, was two copies of 138 MB at 10,000 articles)."""
    counts = np.array([len(rows[n]) if p is None else len(p) for n, p in enumerate(pieces)], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    out = np.empty((int(starts[-1]), dim), dtype=np.float32)
    for number, piece in enumerate(pieces):
        if piece is not None:
            out[starts[number] : starts[number + 1]] = piece
    if rows:
        assert previous is not None and previous.index is not None
        kept = np.array(sorted(rows), dtype=np.int64)
        taken = np.concatenate([rows[number] for number in kept.tolist()])
        lengths = counts[kept]
        # each kept article's rows of ``out``: its start, then one after another
        shift = starts[kept] - np.concatenate([[0], np.cumsum(lengths)[:-1]])
        targets = np.repeat(shift, lengths) + np.arange(int(lengths.sum()), dtype=np.int64)
        previous_vectors = previous.vectors()
        # Copied by runs of consecutive rows on both sides (one change: a few runs), else gathered.
        breaks = np.flatnonzero((np.diff(taken) != 1) | (np.diff(targets) != 1)) + 1
        bounds = np.concatenate([[0], breaks, [len(taken)]]).tolist()
        if len(bounds) > 1 + len(taken) // 64:
            out[targets] = previous_vectors[taken]
        else:
            for first, end in zip(bounds[:-1], bounds[1:]):
                at, to = int(taken[first]), int(targets[first])
                out[to : to + end - first] = previous_vectors[at : at + end - first]
    return out
