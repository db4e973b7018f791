"""BM25 over folded tokens, one document per article.

Azerbaijani glues suffixes on ("borc", "borcu", "borcumu", "borcunuz"), so each token longer than
``prefix_len`` also adds its prefix as an extra term: a cheap stemmer that also helps Russian
endings. Scores are exact BM25 (Okapi, k1/b) over the expanded terms.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse

from retrieval.normalize import tokens


def expand_terms(text: str, prefix_len: int) -> list[str]:
    """Folded tokens plus their prefixes (marked with '~' so they never collide with a word)."""
    out: list[str] = []
    for tok in tokens(text):
        out.append(tok)
        if prefix_len and len(tok) > prefix_len:
            out.append("~" + tok[:prefix_len])
    return out


@dataclass(frozen=True)
class LexicalHit:
    doc: int
    score: float


class BM25Index:
    """Okapi BM25 with a precomputed document × term weight matrix (sparse, CSC)."""

    def __init__(self, k1: float = 1.2, b: float = 0.75, prefix_len: int = 5) -> None:
        if k1 <= 0 or not 0 <= b <= 1:
            raise ValueError(f"BM25 needs k1 > 0 and 0 <= b <= 1, got k1={k1!r}, b={b!r}")
        if prefix_len < 0:
            raise ValueError(f"prefix_len must be >= 0, got {prefix_len!r}")
        self.k1, self.b, self.prefix_len = k1, b, prefix_len
        self.vocab: dict[str, int] = {}
        self.weights: sparse.csc_matrix | None = None

    @property
    def size(self) -> int:
        return 0 if self.weights is None else self.weights.shape[0]

    def fit(self, documents: list[str]) -> BM25Index:
        counts = [Counter(expand_terms(doc, self.prefix_len)) for doc in documents]
        for c in counts:
            for term in c:
                self.vocab.setdefault(term, len(self.vocab))
        rows, cols, tfs = [], [], []
        for i, c in enumerate(counts):
            for term, tf in c.items():
                rows.append(i)
                cols.append(self.vocab[term])
                tfs.append(tf)
        n_docs, n_terms = len(documents), len(self.vocab)
        lengths = np.array([sum(c.values()) for c in counts], dtype=np.float64)
        avg_len = lengths.mean() if n_docs and lengths.mean() > 0 else 1.0
        tf_matrix = sparse.csr_matrix(
            (np.array(tfs, dtype=np.float64), (rows, cols)), shape=(n_docs, n_terms)
        )
        df = np.bincount(np.array(cols, dtype=np.int64), minlength=n_terms)
        idf = np.log1p((n_docs - df + 0.5) / (df + 0.5))
        tf = tf_matrix.tocoo()
        norm = self.k1 * (1 - self.b + self.b * lengths[tf.row] / avg_len)
        data = idf[tf.col] * tf.data * (self.k1 + 1) / (tf.data + norm)
        self.weights = sparse.csc_matrix((data.astype(np.float32), (tf.row, tf.col)), shape=(n_docs, n_terms))
        return self

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every document for the query (zeros where nothing matches)."""
        if self.weights is None:
            raise RuntimeError("BM25Index is empty: call fit() or load() first")
        ids = sorted({self.vocab[t] for t in expand_terms(query, self.prefix_len) if t in self.vocab})
        if not ids:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self.weights[:, ids].sum(axis=1)).ravel().astype(np.float32)

    def search(self, query: str, k: int = 10) -> list[LexicalHit]:
        s = self.scores(query)
        order = np.argsort(-s, kind="stable")[:k]
        return [LexicalHit(int(i), float(s[i])) for i in order if s[i] > 0]

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        sparse.save_npz(directory / "bm25_weights.npz", self.weights)
        (directory / "bm25.json").write_text(
            json.dumps(
                {"k1": self.k1, "b": self.b, "prefix_len": self.prefix_len, "vocab": self.vocab},
                ensure_ascii=False,
            ),
            encoding="utf-8",
        )

    @classmethod
    def load(cls, directory: Path) -> BM25Index:
        meta = json.loads((directory / "bm25.json").read_text(encoding="utf-8"))
        index = cls(k1=meta["k1"], b=meta["b"], prefix_len=meta["prefix_len"])
        index.vocab = meta["vocab"]
        index.weights = sparse.load_npz(directory / "bm25_weights.npz").tocsc()
        return index
