"""Build, save and load the search index (BM25 + faiss) for a knowledge base.

The saved index records the embedder's name and dimension and the knowledge base's content hash.
Loading with another embedder, or against changed articles, is an :class:`IndexStaleError` that
says to rebuild: a silently wrong answer is worse than a clear error.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, partial
from pathlib import Path

import numpy as np

from knowledge.loader import LANGS, Article, KnowledgeBase
from retrieval.dense import DenseIndex, gather_vectors
from retrieval.embedders import Embedder
from retrieval.lexical import BM25Index
from retrieval.passage_cache import BUILD_BATCH, PassageCache

# 2: directory entries after the articles; 3: BM25 saved with its term counts; 4: each line of a
# document folded on its own (BM25 terms of Russian lines beside Azerbaijani Cyrillic ones changed).
INDEX_FORMAT = 4
_PARAGRAPH = re.compile(r"\n\s*\n")


class IndexMissingError(RuntimeError):
    """No usable index on disk."""


class IndexStaleError(RuntimeError):
    """The index on disk was built from other articles or with another embedder."""


@dataclass(frozen=True)
class IndexMeta:
    embedder: str
    dim: int
    kb_hash: str
    article_ids: list[str]
    topics: list[str]
    chunks: int
    built_at: float
    build_seconds: float
    format: int = INDEX_FORMAT
    article_hashes: dict[str, str] = field(default_factory=dict)  # id -> content hash, for incremental builds


@dataclass(frozen=True)
class BuildReport:
    new: list[str]
    changed: list[str]
    removed: list[str]
    unchanged: int
    embedded_passages: int  # sent to the encoder
    cached_passages: int = 0  # taken from the passage cache instead
    repeated_passages: int = 0  # the same text as another passage of this build

    def summary(self) -> str:
        parts = [
            f"{len(self.new)} new",
            f"{len(self.changed)} changed",
            f"{len(self.removed)} removed",
            f"{self.unchanged} unchanged",
            f"{self.embedded_passages} passages embedded",
        ]
        if self.cached_passages or self.repeated_passages:
            parts.append(f"{self.cached_passages} from the cache, {self.repeated_passages} repeated")
        named = [
            f"{kind}: {', '.join(ids)}"
            for kind, ids in (("new", self.new), ("changed", self.changed), ("removed", self.removed))
            if ids
        ]
        return "; ".join(parts) + ("\n" + "\n".join(named) if named else "")


def article_chunks(article: Article) -> list[str]:
    """Short passages to embed: each title, example question, keyword list and body paragraph.

    Short chunks keep e5 fast (its cost grows with length) and let a question match the one
    phrasing closest to it instead of an average of the whole article. A change here changes
    every article's passages: bump INDEX_FORMAT (an incremental build trusts an index of its own
    format to hold an unchanged article's passages).
    """
    chunks: list[str] = []
    for lang in LANGS:
        title = article.title[lang]
        chunks.append(title)
        chunks.extend(article.questions.get(lang, []))
        if article.keywords.get(lang):
            chunks.append(f"{title}: {', '.join(article.keywords[lang])}")
        for paragraph in _PARAGRAPH.split(article.sections[lang].body):
            if paragraph.strip():
                chunks.append(f"{title}\n{paragraph.strip()}")
    return chunks


SERVICE_PREFIX = "service:"


class Document:
    """One retrievable unit: an article, or a service-directory entry (after the articles).

    Its passages and BM25 text are made when first asked for: a build that keeps the previous
    graph never needs those of an unchanged article (making them for 10,000 articles was a
    quarter of absorbing one change).
    """

    def __init__(
        self, id: str, content_hash: str, chunks: Callable[[], list[str]], text: Callable[[], str]
    ) -> None:
        self.id, self.content_hash = id, content_hash
        self._make_chunks, self._make_text = chunks, text

    @cached_property
    def chunks(self) -> list[str]:
        return self._make_chunks()

    @cached_property
    def text(self) -> str:
        return self._make_text()


def kb_documents(kb: KnowledgeBase) -> list[Document]:
    docs = [Document(a.id, a.content_hash, partial(article_chunks, a), a.search_text) for a in kb.articles]
    docs += [
        Document(SERVICE_PREFIX + e.id, e.content_hash, e.chunks, e.search_text) for e in kb.directory.entries
    ]
    return docs


def doc_ids(kb: KnowledgeBase) -> list[str]:
    return [a.id for a in kb.articles] + [SERVICE_PREFIX + e.id for e in kb.directory.entries]


@dataclass
class SearchIndex:
    meta: IndexMeta
    lexical: BM25Index
    dense: DenseIndex
    report: BuildReport | None = None


def _reusable(previous: SearchIndex | None, embedder: Embedder) -> dict[str, np.ndarray]:
    """Rows of the previous build's vectors per article id, when it used the same embedder.

    Rows, not vectors: when the previous graph is kept (one changed article), the unchanged
    articles' vectors are never needed, and reading all 90,000 back out of faiss and grouping
    them was half of absorbing one change at 10,000 articles; :func:`retrieval.dense.gather_vectors`
    reads them when they are needed.
    """
    if previous is None or previous.meta.embedder != embedder.name or not previous.meta.article_hashes:
        return {}
    if previous.dense.index is None:  # (never: a loaded index has its faiss index)
        return {}
    # (dead rows: passages of changed articles, in a kept graph)
    live = np.flatnonzero(previous.dense.chunk_doc >= 0)
    chunk_doc = previous.dense.chunk_doc[live]
    # Group the rows by article in one pass (a mask per article is quadratic: 2 s at 10,000);
    # a stable sort keeps each article's rows in their order.
    order = np.argsort(chunk_doc, kind="stable")
    counts = np.bincount(chunk_doc, minlength=len(previous.meta.article_ids))
    groups = np.split(live[order], np.cumsum(counts)[:-1])
    return dict(zip(previous.meta.article_ids, groups))


def _lexical(docs: list[Document], previous: SearchIndex | None) -> BM25Index:
    """BM25 over ``docs``; an unchanged document keeps its counted terms from ``previous``."""
    fresh = BM25Index()
    if previous is None or previous.lexical.size != len(previous.meta.article_ids):
        return fresh.fit([doc.text for doc in docs])
    old = previous.lexical
    if not fresh.same_settings(old):
        return fresh.fit([doc.text for doc in docs])
    row_of = {doc_id: row for row, doc_id in enumerate(previous.meta.article_ids)}
    hashes = previous.meta.article_hashes
    reuse = [
        row_of.get(doc.id) if doc.id in hashes and hashes[doc.id] == doc.content_hash else None
        for doc in docs
    ]
    return fresh.refit(old, [None if row is not None else doc.text for doc, row in zip(docs, reuse)], reuse)


def _kept_graph(
    previous: SearchIndex,
    docs: list[Document],
    pieces: list[np.ndarray | None],
    to_embed: list[tuple[int, list[str]]],
) -> DenseIndex | None:
    """The previous HNSW graph with the embedded articles' passages added and their old rows dead
    (building a graph of 90,000 passages anew takes 16 s); None when a full build is due."""
    embedded = {number for number, _ in to_embed}
    number_of = {doc.id: number for number, doc in enumerate(docs) if number not in embedded}
    remap = np.array([number_of.get(i, -1) for i in previous.meta.article_ids], dtype=np.int64)
    added = [piece for number, _ in to_embed if (piece := pieces[number]) is not None]
    dim = previous.dense.dim
    vectors = np.concatenate(added) if added else np.zeros((0, dim), dtype=np.float32)
    chunk_doc = [number for number, chunks in to_embed for _ in chunks]
    return previous.dense.updated(remap, vectors, chunk_doc)


def build_index(
    kb: KnowledgeBase,
    embedder: Embedder,
    batch_size: int = BUILD_BATCH,
    progress: Callable[[int], None] | None = None,
    previous: SearchIndex | None = None,
    cache: PassageCache | None = None,
) -> SearchIndex:
    """Embed the articles; with ``previous`` (same embedder), only new and changed ones.

    Each distinct passage text goes to the encoder once. With ``cache`` (same embedder), passages
    it holds are not embedded again and the ones embedded are added to it; it is cut down to
    exactly this build's passages when every vector is at hand or its journal has grown.
    """
    started = time.perf_counter()
    old_hashes = previous.meta.article_hashes if previous else {}
    reuse = _reusable(previous, embedder)
    pieces: list[np.ndarray | None] = []  # vectors per article; None: rows[number] of the previous index
    rows: dict[int, np.ndarray] = {}
    chunk_doc: list[int] = []
    to_embed: list[tuple[int, list[str]]] = []
    docs = kb_documents(kb)
    # An unchanged article of an index of this format has the passages it had (the same content,
    # the same article_chunks), so its rows are taken without making them again; of another
    # format, its passages are made and counted first.
    same_format = previous is not None and previous.meta.format == INDEX_FORMAT
    for number, doc in enumerate(docs):
        kept = reuse.get(doc.id) if old_hashes.get(doc.id) == doc.content_hash else None
        if kept is not None and (same_format or len(kept) == len(doc.chunks)):
            pieces.append(None)
            rows[number] = kept
            count = len(kept)
            if progress:
                progress(count)
        else:
            chunks = doc.chunks
            pieces.append(np.zeros((len(chunks), embedder.dim), dtype=np.float32))
            to_embed.append((number, chunks))
            count = len(chunks)
        chunk_doc += [number] * count
    if cache is not None and not cache.fits(embedder):
        cache = None  # another embedder's vectors: never mixed in
    texts = [chunk for _, chunks in to_embed for chunk in chunks]
    # Without a cache a throwaway one still sends each distinct text to the encoder once.
    encoder = cache if cache is not None else PassageCache(embedder.name, embedder.dim)
    encoded = encoder.encode(texts, embedder, batch_size, progress)
    row = 0
    for number, chunks in to_embed:
        piece = pieces[number]
        assert piece is not None
        piece[:] = encoded.vectors[row : row + len(chunks)]
        row += len(chunks)
    every: list[np.ndarray] = []  # every vector of this build in row order, once it is needed

    def all_vectors() -> np.ndarray:
        if not every:
            every.append(gather_vectors(previous.dense if previous else None, pieces, rows, embedder.dim))
        return every[0]

    dense = _kept_graph(previous, docs, pieces, to_embed) if previous is not None and reuse else None
    if dense is None:
        dense = DenseIndex(embedder.dim).fit(all_vectors(), chunk_doc)
    lexical = _lexical(docs, previous)
    ids = {doc.id for doc in docs}
    embedded_ids = [docs[number].id for number, _ in to_embed]
    report = BuildReport(
        new=[i for i in embedded_ids if i not in old_hashes],
        changed=[i for i in embedded_ids if i in old_hashes],
        removed=sorted(set(old_hashes) - ids),
        unchanged=len(docs) - len(to_embed),
        embedded_passages=encoded.embedded,
        cached_passages=encoded.cached,
        repeated_passages=encoded.repeated,
    )
    # The cache took the embedded passages in encode(); it is rewritten to hold exactly this
    # build's passages when every vector is at hand anyway, or once its journal has grown (making
    # and hashing 90,000 passages for one change was most of absorbing it at 10,000 articles).
    if cache is not None and (every or cache.wants_rewrite()):
        cache.keep_only([chunk for doc in docs for chunk in doc.chunks], all_vectors())
    meta = IndexMeta(
        embedder=embedder.name,
        dim=embedder.dim,
        kb_hash=kb.content_hash,
        article_ids=[doc.id for doc in docs],
        topics=[a.topic for a in kb.articles],
        chunks=len(chunk_doc),
        built_at=time.time(),
        build_seconds=round(time.perf_counter() - started, 3),
        article_hashes={doc.id: doc.content_hash for doc in docs},
    )
    return SearchIndex(meta=meta, lexical=lexical, dense=dense, report=report)


def load_previous(directory: Path, embedder: Embedder) -> SearchIndex | None:
    """The index on disk for reuse by an incremental build, or None if there is none usable."""
    try:
        meta = read_meta(directory)
        if meta.embedder != embedder.name or meta.dim != embedder.dim:
            return None
        dense = DenseIndex.load(directory)
    except (IndexMissingError, OSError, ValueError, KeyError, RuntimeError):
        return None
    try:
        lexical = BM25Index.load(directory)
    except (OSError, ValueError, KeyError):  # an older format: its vectors still serve, BM25 is re-fitted
        lexical = BM25Index()  # empty: build_index fits it anew
    return SearchIndex(meta=meta, lexical=lexical, dense=dense)


def count_chunks(kb: KnowledgeBase, previous: SearchIndex | None = None) -> int:
    """Passages of ``kb``; an article unchanged since ``previous`` counts its rows there, unmade."""
    rows: dict[str, int] = {}
    if previous is not None and previous.meta.article_hashes and previous.meta.format == INDEX_FORMAT:
        live = previous.dense.chunk_doc[previous.dense.chunk_doc >= 0]
        counts = np.bincount(live, minlength=len(previous.meta.article_ids))
        rows = dict(zip(previous.meta.article_ids, counts.tolist()))
    hashes = previous.meta.article_hashes if previous is not None else {}
    return sum(
        rows[doc.id] if doc.id in rows and hashes.get(doc.id) == doc.content_hash else len(doc.chunks)
        for doc in kb_documents(kb)
    )


def save_index(index: SearchIndex, directory: Path) -> None:
    """Write to a temporary sibling folder, then swap it in: readers never see half an index."""
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".index-", dir=directory.parent))
    try:
        index.lexical.save(tmp)
        index.dense.save(tmp)
        (tmp / "meta.json").write_text(json.dumps(index.meta.__dict__, indent=1), encoding="utf-8")
        old = directory.with_name(directory.name + ".old")
        if old.exists():
            shutil.rmtree(old)
        if directory.exists():
            os.replace(directory, old)
        os.replace(tmp, directory)
        if old.exists():
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def read_meta(directory: Path) -> IndexMeta:
    path = Path(directory) / "meta.json"
    if not path.is_file():
        raise IndexMissingError(f"no search index in {directory}: run `helpdesk kb build`")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return IndexMeta(**data)
    except (ValueError, TypeError) as exc:
        raise IndexMissingError(
            f"the search index in {directory} is damaged ({exc}): run `helpdesk kb build`"
        ) from exc


def check_fresh(meta: IndexMeta, kb: KnowledgeBase, embedder_name: str, embedder_dim: int) -> None:
    if meta.format != INDEX_FORMAT:
        raise IndexStaleError(
            f"the index has format {meta.format}, this version reads {INDEX_FORMAT}: run `helpdesk kb build`"
        )
    if meta.embedder != embedder_name or meta.dim != embedder_dim:
        raise IndexStaleError(
            f"the index was built with {meta.embedder} ({meta.dim} dims) but the embedder is "
            f"{embedder_name} ({embedder_dim} dims): run `helpdesk kb build`"
        )
    if meta.kb_hash != kb.content_hash:
        raise IndexStaleError("the knowledge base changed since the index was built: run `helpdesk kb build`")


def load_index(directory: Path, kb: KnowledgeBase, embedder: Embedder) -> SearchIndex:
    directory = Path(directory)
    meta = read_meta(directory)
    check_fresh(meta, kb, embedder.name, embedder.dim)
    try:
        lexical = BM25Index.load(directory)
        dense = DenseIndex.load(directory)
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise IndexMissingError(
            f"the search index in {directory} is damaged ({exc}): run `helpdesk kb build`"
        ) from exc
    if lexical.size != len(meta.article_ids) or meta.article_ids != doc_ids(kb) or dense.dim != embedder.dim:
        raise IndexStaleError("the index does not match the knowledge base: run `helpdesk kb build`")
    return SearchIndex(meta=meta, lexical=lexical, dense=dense)
