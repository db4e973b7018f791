"""Hybrid search: BM25 and dense lists fused per article, with a confidence the policy thresholds.

Score fusion (the default) maps each half onto [0, 1] with fixed, config-held calibrations —
dense cosine between ``dense_floor`` and ``dense_ceiling``, BM25 through ``s / (s + bm25_half)``
— and mixes them with ``dense_weight``. Fixed maps (not per-query min–max) keep the score
comparable across questions, so it doubles as the confidence. Reciprocal-rank fusion is there
too, for comparison (``fusion="rrf"``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from knowledge.loader import Article, KnowledgeBase
from retrieval.embedders import Embedder
from retrieval.index import SearchIndex, doc_ids
from retrieval.normalize import AZ_CYRILLIC_MARKERS, az_cyrillic_to_latin, is_az_cyrillic, tokens
from retrieval.restore import AZ_SPECIAL, AzRestorer

Mode = Literal["hybrid", "bm25", "dense"]
# The topic head's class for "a directory service that no article covers".
SERVICE_TOPIC = "__service__"


@dataclass(frozen=True)
class FusionConfig:
    fusion: Literal["score", "rrf"] = "score"
    dense_weight: float = 0.5
    # e5 reads Azerbaijani typed without its letters poorly even after restoring them, so such
    # questions lean on BM25 (which folds both sides) more.
    dense_weight_folded: float = 0.3
    # How much the intent model's sector guess lifts the articles of that sector.
    sector_weight: float = 0.1
    # How much the topic head (a classifier over the articles' own example questions) counts.
    topic_weight: float = 0.0
    dense_floor: float = 0.80
    dense_ceiling: float = 0.92
    bm25_half: float = 12.0
    rrf_k: int = 60
    depth: int = 30

    def __post_init__(self) -> None:
        for name in ("dense_weight", "dense_weight_folded", "sector_weight", "topic_weight"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be within [0, 1], got {getattr(self, name)!r}")
        if self.dense_ceiling <= self.dense_floor:
            raise ValueError("dense_ceiling must be above dense_floor")
        if self.bm25_half <= 0 or self.rrf_k <= 0 or self.depth <= 0:
            raise ValueError("bm25_half, rrf_k and depth must be positive")


@dataclass(frozen=True)
class Hit:
    topic: str
    article_id: str
    score: float
    dense: float = 0.0
    lexical: float = 0.0


@dataclass(frozen=True)
class ServiceHit:
    """A directory entry that no article covers, with the same fused score as an article."""

    service: str
    score: float
    dense: float = 0.0
    lexical: float = 0.0


@dataclass(frozen=True)
class SearchResult:
    hits: list[Hit] = field(default_factory=list)
    services: list[ServiceHit] = field(default_factory=list)

    @property
    def top_service(self) -> ServiceHit | None:
        return self.services[0] if self.services else None

    @property
    def top(self) -> Hit | None:
        return self.hits[0] if self.hits else None

    @property
    def confidence(self) -> float:
        return self.hits[0].score if self.hits else 0.0

    @property
    def margin(self) -> float:
        """How far the best topic stands above the runner-up."""
        if len(self.hits) < 2:
            return self.confidence
        return self.hits[0].score - self.hits[1].score


def is_folded_az(text: str, lang: str | None) -> bool:
    """Azerbaijani typed without any of its own letters."""
    return lang == "az" and not any(ch in AZ_SPECIAL for ch in text.lower())


class HybridSearcher:
    def __init__(
        self,
        kb: KnowledgeBase,
        index: SearchIndex,
        embedder: Embedder,
        config: FusionConfig | None = None,
        restorer_cache: Path | None = None,
    ) -> None:
        if index.meta.article_ids != doc_ids(kb):
            raise ValueError("the index was built for other articles: rebuild it")
        self.kb, self.index, self.embedder = kb, index, embedder
        self.entries = kb.directory.entries
        self.config = config or FusionConfig()
        self.restorer = AzRestorer.cached(
            (
                part
                for a in kb.articles
                for part in [a.title["az"], a.sections["az"].body, *a.questions["az"], *a.keywords["az"]]
            ),
            restorer_cache,
        )

    def dense_text(self, text: str, lang: str | None) -> str:
        """What the embedder sees: Azerbaijani typed without its letters gets them back, and
        Azerbaijani in Cyrillic letters is written in the Latin alphabet first."""
        if lang != "az":
            return text
        if is_az_cyrillic(text):
            latin = az_cyrillic_to_latin(text)
            if not any(ch in AZ_CYRILLIC_MARKERS for ch in text):
                return self.restorer.restore_keyboard(latin)  # typed in Russian letters
            text = latin
        return self.restorer.restore(text)

    def reading_text(self, text: str, lang: str | None) -> str:
        """What the intent, sector and topic heads read: Azerbaijani typed in Russian letters as
        the Latin words the knowledge base knows ("хара гедек" → "hara gedək"); the heads learnt
        Azerbaijani from Latin text, and a plain transliteration ("xara qedek") is not it."""
        reading = self.restorer.read_russian_letters(text) if lang == "az" else None
        return text if reading is None else reading

    def lexical_text(self, text: str) -> str:
        """What BM25 matches. Azerbaijani typed in Russian letters is ambiguous where Russian has no
        letter of its own (х for x or h, г for q or g, ж for j or c): the reading the knowledge
        base knows is searched as well."""
        if not is_az_cyrillic(text) or any(ch in AZ_CYRILLIC_MARKERS for ch in text):
            return text
        return f"{text} {self.restorer.restore_keyboard(az_cyrillic_to_latin(text))}"

    def correct_typo(self, token: str) -> str | None:
        """The known word a folded query token was probably meant to be (None: as typed)."""
        lexical = self.index.lexical
        return lexical.typos.correct(token) if lexical.correct_typos else None

    def encode(self, text: str, lang: str | None = None) -> np.ndarray:
        vector: np.ndarray = self.embedder.encode_queries([self.dense_text(text, lang)])[0]
        return vector

    def search(
        self,
        text: str,
        k: int = 5,
        mode: Mode = "hybrid",
        lang: str | None = None,
        query_vector: np.ndarray | None = None,
        sector_probs: dict[str, float] | None = None,
    ) -> SearchResult:
        """Best ``k`` topics for the question (one entry per topic, best first).

        ``lang`` is the question's language; for ``az`` the dense half restores missing letters.
        ``sector_probs`` (sector → probability) lifts the articles of the likely sectors.
        """
        lexical, dense = self.raw_scores(text, mode, lang, query_vector)
        return self.combine(lexical, dense, mode, k, is_folded_az(text, lang), sector_probs)

    def raw_scores(
        self,
        text: str,
        mode: Mode = "hybrid",
        lang: str | None = None,
        query_vector: np.ndarray | None = None,
    ) -> tuple[dict[int, float], dict[int, float]]:
        """BM25 and dense scores per article number (the best ``depth`` of each)."""
        depth = self.config.depth
        lexical: dict[int, float] = {}
        dense: dict[int, float] = {}
        if not tokens(text):
            return lexical, dense
        if mode in ("hybrid", "bm25"):
            lexical = {h.doc: h.score for h in self.index.lexical.search(self.lexical_text(text), depth)}
        if mode in ("hybrid", "dense"):
            vector = self.encode(text, lang) if query_vector is None else query_vector
            dense = {h.doc: h.score for h in self.index.dense.search(vector, depth)}
        return lexical, dense

    def combine(
        self,
        lexical: dict[int, float],
        dense: dict[int, float],
        mode: Mode = "hybrid",
        k: int = 5,
        folded: bool = False,
        sector_probs: dict[str, float] | None = None,
        topic_probs: dict[str, float] | None = None,
    ) -> SearchResult:
        """Fuse the two score lists (and the sector and topic priors) into the best ``k`` topics.

        The topic prior is a classifier's probability for each article; a directory service
        gets the prior of the article it speaks for, or that of "a service no article covers".
        """
        fused = self._fuse(lexical, dense, mode, folded)
        if sector_probs and self.config.sector_weight:
            w = self.config.sector_weight
            fused = {d: (1 - w) * s + w * sector_probs.get(self._sector(d), 0.0) for d, s in fused.items()}
        if topic_probs and self.config.topic_weight and mode == "hybrid":
            # The prior orders the articles among themselves; a service no article covers gets the
            # best prior of all, so that article against service is decided by the evidence.
            w = self.config.topic_weight
            neutral = max(topic_probs.values())
            fused = {
                d: (1 - w) * s
                + w
                * (neutral if self._topic(d) == SERVICE_TOPIC else topic_probs.get(self._topic(d) or "", 0.0))
                for d, s in fused.items()
            }
        hits: list[Hit] = []
        services: list[ServiceHit] = []
        seen: set[str] = set()
        n_articles = len(self.kb.articles)
        for doc, score in sorted(fused.items(), key=lambda kv: (-kv[1], kv[0])):
            raw = (round(float(score), 4), round(dense.get(doc, 0.0), 4), round(lexical.get(doc, 0.0), 4))
            article: Article | None
            if doc < n_articles:
                article = self.kb.articles[doc]
            else:
                # A directory entry an article covers speaks for that article; one without is a
                # service the helpdesk can only refer to.
                entry = self.entries[doc - n_articles]
                article = self.kb.by_topic.get(entry.topic) if entry.topic else None
                if article is None:
                    if entry.id not in seen and len(services) < k:
                        seen.add(entry.id)
                        services.append(ServiceHit(entry.id, *raw))
                    continue
            if article.topic in seen or len(hits) == k:
                continue
            seen.add(article.topic)
            hits.append(Hit(article.topic, article.id, *raw))
            if len(hits) == k and len(services) == k:
                break
        return SearchResult(hits, services)

    def _topic(self, doc: int) -> str | None:
        n_articles = len(self.kb.articles)
        if doc < n_articles:
            return self.kb.articles[doc].topic
        topic = self.entries[doc - n_articles].topic
        return topic if topic in self.kb.by_topic else SERVICE_TOPIC

    def _sector(self, doc: int) -> str:
        n_articles = len(self.kb.articles)
        if doc < n_articles:
            return self.kb.articles[doc].sector
        return self.entries[doc - n_articles].sector

    def _dense_norm(self, cosine: float) -> float:
        cfg = self.config
        # (min/max, not np.clip: the same value, and np.clip on one float was a tenth of a search)
        return min(max((cosine - cfg.dense_floor) / (cfg.dense_ceiling - cfg.dense_floor), 0.0), 1.0)

    def _lex_norm(self, score: float) -> float:
        return score / (score + self.config.bm25_half)

    def _fuse(
        self, lexical: dict[int, float], dense: dict[int, float], mode: Mode, folded: bool = False
    ) -> dict[int, float]:
        cfg = self.config
        if mode == "bm25":
            return {d: self._lex_norm(s) for d, s in lexical.items()}
        if mode == "dense":
            return {d: self._dense_norm(s) for d, s in dense.items()}
        docs = set(lexical) | set(dense)
        if cfg.fusion == "rrf":
            rank_l = {d: r for r, d in enumerate(sorted(lexical, key=lambda d: -lexical[d]), 1)}
            rank_d = {d: r for r, d in enumerate(sorted(dense, key=lambda d: -dense[d]), 1)}
            best = 2 / (cfg.rrf_k + 1)  # rank 1 in both lists → confidence 1
            return {
                d: (1 / (cfg.rrf_k + rank_l.get(d, 10**6)) + 1 / (cfg.rrf_k + rank_d.get(d, 10**6))) / best
                for d in docs
            }
        w = cfg.dense_weight_folded if folded else cfg.dense_weight
        return {
            d: w * self._dense_norm(dense.get(d, 0.0)) + (1 - w) * self._lex_norm(lexical.get(d, 0.0))
            for d in docs
        }
