"""The Telegram-free heart of the helpdesk: one question in, one :class:`Reply` out.

The same :class:`Helpdesk` serves the Telegram bot, the terminal chat, ``helpdesk ask``, the
evaluation and the benchmarks.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol, cast

import numpy as np

from bot.cards import (
    article_links,
    article_referral,
    render_card,
    render_referral,  # noqa: F401
    service_referral,
)
from bot.config import Settings
from bot.policy import Decision, PolicyConfig, decide
from bot.texts import t
from intents.classifier import IntentClassifier
from intents.language import detect_language
from intents.reader import IntentModel, IntentReader
from intents.rules import SMALLTALK, IntentPrediction
from knowledge.directory import ServiceEntry
from knowledge.loader import LANGS, Article, KnowledgeBase, load_knowledge_base
from retrieval.answerability import AnswerabilityModel, Evidence, evidence
from retrieval.coverage import TermCoverage
from retrieval.embedders import Embedder, make_embedder
from retrieval.index import load_index
from retrieval.normalize import clean, tokens
from retrieval.search import FusionConfig, HybridSearcher, Mode, SearchResult, is_folded_az

# Retrieval reads this much of a message; a 10,000-character paste is still answered, from its start.
MAX_QUERY_CHARS = 1000

# The query is encoded on one of these threads while the asking thread runs the intent models:
# the encoder's C engine releases the GIL, so the two overlap. One small pool for the process
# (every Helpdesk, reloads included), started on first use.
ENCODE_THREADS = 2
_encode_pool: ThreadPoolExecutor | None = None
_encode_pool_lock = threading.Lock()


def serving_encoder_copies(settings: Settings) -> int:
    """How many e5 engines the bot encodes with at once: HELPDESK_ENCODER_COPIES, or one per core
    up to the pool's threads (two single-threaded engines on 2 cores answer about twice the new
    questions a second of one engine on both; retrieval/embedders.py)."""
    if settings.encoder_copies:
        return settings.encoder_copies
    return max(1, min(ENCODE_THREADS, os.cpu_count() or 1))


def encode_pool() -> ThreadPoolExecutor:
    """The process's persistent pool that encodes queries ahead of the intent models."""
    global _encode_pool
    with _encode_pool_lock:
        if _encode_pool is None:
            _encode_pool = ThreadPoolExecutor(ENCODE_THREADS, thread_name_prefix="helpdesk-encode")
        return _encode_pool


def _forget_pool_in_child() -> None:
    # A forked child has none of the parent's threads: it starts its own pool on first use.
    global _encode_pool, _encode_pool_lock
    _encode_pool, _encode_pool_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_pool_in_child)


@dataclass(frozen=True)
class Observation:
    """What the served pipeline saw of one message before any threshold was applied.

    ``Helpdesk.reply`` is ``reply_from(observe(...))``; threshold tuning observes each question
    once and replays ``reply_from`` with other policies, so it measures the pipeline that serves.
    """

    text: str
    query: str
    lang: str
    query_lang: str
    mode: Mode
    intent: IntentPrediction
    sectors: dict[str, float]
    scores: (
        tuple[dict[int, float], dict[int, float]] | None
    )  # (BM25, dense) raw scores per document; None when search was skipped
    fallback: bool = False  # no sign of any of our languages: answered in az with a note
    topics: dict[str, float] = field(default_factory=dict)  # the topic head's probabilities

    @property
    def empty(self) -> bool:
        return not tokens(self.query)


@dataclass
class Reply:
    text: str
    lang: str
    action: str
    intent: str
    topic: str | None
    confidence: float
    answer: str
    links: list[dict[str, str]] = field(default_factory=list)
    candidates: list[dict[str, Any]] = field(default_factory=list)
    latency_ms: float = 0.0
    lang_fallback: bool = False
    choices: list[str] = field(default_factory=list)  # the topics a clarify offers
    reason: str = ""  # why the policy chose the action
    service: str | None = None  # the directory entry a refer names
    draft: bool = False  # the card shown has not been reviewed
    coverage: float = 1.0  # the answerability check's word coverage
    answerable: float = 1.0  # ... and its model's probability
    part: str | None = None  # the part of the card in context a follow-up asked for (fee, …)

    def to_json_dict(self) -> dict[str, Any]:
        """The ``helpdesk ask --json`` contract of DESIGN.md (and nothing else)."""
        data = asdict(self)
        for extra in ("lang_fallback", "choices", "reason", "draft", "coverage", "answerable", "part"):
            data.pop(extra)
        if data["service"] is None:
            data.pop("service")
        return data


COMPLAINTS_TOPIC = "complaints-appeals"
# A cached reply's key: cleaned query, chosen language, search mode, policy, draft policy.
CacheKey = tuple[str, str | None, Mode, PolicyConfig, str]
DRAFT_POLICIES = ("notice", "refer", "serve")


class ReplyCache(Protocol):
    """A reply cache shared by workers (Redis): replies as JSON dicts under string keys."""

    def get(self, key: str) -> dict[str, Any] | None: ...
    def put(self, key: str, reply: dict[str, Any]) -> None: ...


class Helpdesk:
    def __init__(
        self,
        kb: KnowledgeBase,
        searcher: HybridSearcher,
        policy: PolicyConfig | None = None,
        intents: IntentModel | None = None,
        cache_size: int = 4096,
        draft_policy: str = "notice",
        answerability: AnswerabilityModel | None = None,
    ) -> None:
        if draft_policy not in DRAFT_POLICIES:
            raise ValueError(f"draft_policy must be one of {', '.join(DRAFT_POLICIES)}")
        self.kb = kb
        self.searcher = searcher
        self.policy = policy or PolicyConfig()
        self.intents: IntentModel = intents or IntentReader()
        self.draft_policy = draft_policy
        self.term_coverage = TermCoverage(kb, correct=self.searcher.correct_typo)
        self.answerability = answerability
        self.services = kb.directory.by_id
        # Citizens ask the same questions again and again: remember recent replies (LRU) so a
        # repeated question skips the model. The key is the cleaned text, so "Salam" and
        # "salam\u200b" share an entry; a new Helpdesk (a reload) starts empty.
        self.cache_size = cache_size
        self._cache: OrderedDict[CacheKey, Reply] = OrderedDict()
        self._cache_lock = threading.Lock()
        self.shared: ReplyCache | None = None  # behind the LRU: what other workers answered
        self.shared_hits = 0
        # Encode the query on the pool while the intent models read it (same replies either way).
        self.encode_ahead = True

    def sharing(self, cache: ReplyCache | None) -> Helpdesk:
        """This helpdesk (same index, models and knowledge base) with its replies also kept in
        ``cache``; its own LRU starts empty, so the one it was made from is left as it was."""
        twin = copy.copy(self)
        twin._cache, twin._cache_lock = OrderedDict(), threading.Lock()
        twin.shared, twin.shared_hits = cache, 0
        return twin

    @property
    def served_version(self) -> str:
        """What the replies are made from: the articles' content hash and the embedder. A reload
        that changes either gets new shared keys, so no worker serves a card from before it."""
        return f"{self.kb.content_hash}:{self.searcher.embedder.name}"

    def _shared_key(self, key: CacheKey) -> str:
        query, lang, mode, policy, draft_policy = key
        what = json.dumps([query, lang, mode, repr(policy), draft_policy], ensure_ascii=False)
        return hashlib.sha256(f"{self.served_version}\n{what}".encode()).hexdigest()

    @classmethod
    def from_settings(
        cls, settings: Settings, embedder: Embedder | None = None, encoder_copies: int = 1
    ) -> Helpdesk:
        """Load the articles, the embedder (``encoder_copies`` e5 engines, when it is made here) and
        the saved index; each failure says what to run."""
        kb = load_knowledge_base(
            settings.articles_dir,
            settings.coverage_file,
            tuple(settings.official_domains),
            cache_file=settings.parse_cache_file,
        )
        if embedder is None:
            embedder = make_embedder(settings.embedder, copies=encoder_copies)
            warm_up = getattr(embedder, "warm_up", None)
            if warm_up is not None:  # the model's first call, on the pool while the rest loads
                encode_pool().submit(warm_up)
        index = load_index(settings.index_dir, kb, embedder)
        index.lexical.correct_typos = settings.correct_typos
        # The restorer's vocabulary is kept beside the parse cache (and, like it, can be off).
        parse_cache = settings.parse_cache_file
        restorer_cache = parse_cache.with_name("restorer_cache.pickle") if parse_cache else None
        fusion = FusionConfig(
            fusion=cast(Literal["score", "rrf"], settings.fusion),  # Settings' validator allows only these
            dense_weight=settings.dense_weight,
            dense_weight_folded=settings.dense_weight_folded,
            sector_weight=settings.sector_weight,
            topic_weight=settings.topic_weight,
            dense_floor=settings.dense_floor,
            dense_ceiling=settings.dense_ceiling,
            bm25_half=settings.bm25_half,
        )
        policy = PolicyConfig(
            answer_threshold=settings.answer_threshold,
            clarify_threshold=settings.clarify_threshold,
            clarify_margin=settings.clarify_margin,
            intent_threshold=settings.intent_threshold,
            out_of_scope_threshold=settings.out_of_scope_threshold,
            refer_threshold=settings.refer_threshold,
            service_margin=settings.service_margin,
            min_coverage=settings.min_coverage,
            min_answerable=settings.min_answerable,
            weak_handoff_intent=settings.weak_handoff_intent,
            sure_answerable=settings.sure_answerable,
            margin_waiver=settings.margin_waiver,
            min_service_coverage=settings.min_service_coverage,
        )
        classifier = IntentClassifier.load(settings.intents_dir)
        return cls(
            kb,
            HybridSearcher(kb, index, embedder, fusion, restorer_cache=restorer_cache),
            policy,
            IntentReader(classifier),
            cache_size=settings.answer_cache_size,
            draft_policy=settings.draft_policy,
            answerability=AnswerabilityModel.load(settings.answerability_model),
        )

    def _prelude(self, text: object, lang_hint: str | None) -> tuple[str, str, str, str, bool]:
        text = text if isinstance(text, str) else ""
        query = clean(text)[:MAX_QUERY_CHARS]
        guess = detect_language(query, default=lang_hint if lang_hint in LANGS else "az")
        # A citizen's chosen language wins over a guess from a two-word message.
        lang = lang_hint if lang_hint in LANGS else guess.lang
        # Several words and no sign of any of our languages: answer in Azerbaijani and say so.
        fallback = lang_hint not in LANGS and not guess.confident and len(tokens(query)) >= 3
        return text, query, lang, guess.lang, fallback

    def reply(self, text: str, lang_hint: str | None = None, mode: Mode = "hybrid") -> Reply:
        started = time.perf_counter()
        text, query, lang, query_lang, fallback = self._prelude(text, lang_hint)
        key = (query, lang_hint if lang_hint in LANGS else None, mode, self.policy, self.draft_policy)
        cached = self._cached(key)
        if cached is not None:
            reply = cached
            reply.text = text
        else:
            reply = self.reply_from(self._observe(text, query, lang, query_lang, mode, fallback=fallback))
            if reply.intent != "empty":
                self._remember(key, reply)
        reply.latency_ms = round((time.perf_counter() - started) * 1000, 2)
        return reply

    def observe(
        self, text: str, lang_hint: str | None = None, mode: Mode = "hybrid", always_search: bool = False
    ) -> Observation:
        """The expensive half of :meth:`reply` (intent, sector, BM25 and dense scores)."""
        text, query, lang, query_lang, fallback = self._prelude(text, lang_hint)
        return self._observe(text, query, lang, query_lang, mode, always_search, fallback)

    def _observe(
        self,
        text: str,
        query: str,
        lang: str,
        query_lang: str,
        mode: Mode,
        always_search: bool = False,
        fallback: bool = False,
    ) -> Observation:
        if not tokens(query):
            return Observation(text, query, lang, query_lang, mode, IntentPrediction("empty", 0.0), {}, None)
        ahead: Future[np.ndarray] | None = None
        if self.encode_ahead and mode != "bm25":
            # Started before the intent models so the two overlap; a sure smalltalk intent then
            # leaves the vector unused (the search is skipped, as before).
            ahead = encode_pool().submit(self.searcher.encode, query, query_lang)
        intent, sectors, topics = self.intents.read(self.searcher.reading_text(query, query_lang))
        skip = intent.intent in SMALLTALK and intent.confidence >= self.policy.intent_threshold
        if skip and not always_search:
            scores = None
        else:
            vector = ahead.result() if ahead is not None else None
            scores = self.searcher.raw_scores(query, mode, query_lang, query_vector=vector)
        return Observation(text, query, lang, query_lang, mode, intent, sectors, scores, fallback, topics)

    def assess(
        self, obs: Observation, policy: PolicyConfig | None = None
    ) -> tuple[SearchResult, float, Evidence]:
        """The fused result, the word coverage and the answerability evidence of an observation."""
        policy = policy or self.policy
        intent, scores = obs.intent, obs.scores
        # A sure smalltalk intent is answered without a search, whatever was observed.
        if intent.intent in SMALLTALK and intent.confidence >= policy.intent_threshold:
            scores = None
        elif scores is None:
            scores = self.searcher.raw_scores(obs.query, obs.mode, obs.query_lang)
        result = (
            SearchResult()
            if scores is None
            else self.searcher.combine(
                *scores,
                mode=obs.mode,
                k=5,
                folded=is_folded_az(obs.query, obs.query_lang),
                sector_probs=obs.sectors,
                topic_probs=obs.topics,
            )
        )
        coverage = self.term_coverage.coverage(obs.query, result.top.topic) if result.top else 1.0
        topic_prob = obs.topics.get(result.top.topic, 0.0) if result.top else 0.0
        return result, coverage, evidence(result, coverage, topic_prob)

    def reply_from(self, obs: Observation, policy: PolicyConfig | None = None) -> Reply:
        """The decision half of :meth:`reply`: thresholds, the answerability check, the text."""
        policy = policy or self.policy
        text, lang = obs.text, obs.lang
        if obs.empty:
            return Reply(text, lang, "smalltalk", "empty", None, 0.0, t("empty", lang))
        intent = obs.intent
        result, coverage, ev = self.assess(obs, policy)
        # The model was fitted on the hybrid's scores; the halves alone (eval's comparison) skip it.
        judged = self.answerability is not None and result.top and obs.mode == "hybrid"
        answerable = self.answerability.probability(ev) if judged and self.answerability else None
        service = result.top_service
        service_coverage = (
            self.term_coverage.service_coverage(obs.query, service.service) if service is not None else 1.0
        )
        decision = decide(intent, result, policy, coverage, answerable, service_coverage)
        candidates = [{"topic": h.topic, "score": h.score} for h in result.hits]
        base = dict(
            text=text,
            lang=lang,
            intent=intent.intent,
            confidence=result.confidence,
            candidates=candidates,
            reason=decision.reason,
            coverage=round(coverage, 3),
            answerable=1.0 if answerable is None else round(answerable, 3),
        )
        reply = self._render(decision, result, base)
        if obs.fallback:
            reply.lang_fallback = True
            reply.answer = f"{t('fallback_unknown_lang', lang)}\n\n{reply.answer}"
        return reply

    def _cached(self, key: CacheKey) -> Reply | None:
        if self.cache_size <= 0:
            return None
        with self._cache_lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
        if hit is None:
            return self._shared_reply(key)
        return copy.deepcopy(hit)

    def _shared_reply(self, key: CacheKey) -> Reply | None:
        data = self.shared.get(self._shared_key(key)) if self.shared is not None else None
        if data is None:
            return None
        try:
            reply = Reply(**data)
        except TypeError:  # written by another version of Reply: computed anew
            return None
        self.shared_hits += 1
        self._remember(key, reply, share=False)
        return reply

    def _remember(self, key: CacheKey, reply: Reply, share: bool = True) -> None:
        if self.cache_size <= 0:
            return
        if share and self.shared is not None:
            self.shared.put(self._shared_key(key), asdict(reply))
        with self._cache_lock:
            self._cache[key] = copy.deepcopy(reply)
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)

    async def areply(self, text: str, lang_hint: str | None = None) -> Reply:
        """The same, off the event loop: encoding is CPU-bound."""
        import asyncio  # here, so a one-shot `helpdesk ask` does not import it

        return await asyncio.to_thread(self.reply, text, lang_hint)

    def _render(self, decision: Decision, result: SearchResult, base: dict[str, Any]) -> Reply:
        lang = base["lang"]
        if decision.action == "smalltalk":
            return Reply(action="smalltalk", topic=None, answer=t(decision.reason, lang), **base)
        if decision.action == "refer":
            entry = self.services[decision.topics[0]]
            answer, links = service_referral(entry, lang)
            base["confidence"] = result.top_service.score if result.top_service else 0.0
            return Reply(action="refer", topic=None, answer=answer, links=links, service=entry.id, **base)
        if decision.action == "answer":
            article = self.kb.by_topic[decision.topics[0]]
            return self._card(article, lang, base)
        if decision.action == "clarify":
            titles = [self.kb.by_topic[topic].title[lang] for topic in decision.topics]
            answer = t("clarify", lang) + "\n" + "\n".join(f"• {title}" for title in titles)
            return Reply(action="clarify", topic=None, answer=answer, choices=list(decision.topics), **base)
        if decision.reason == "complaint" and COMPLAINTS_TOPIC in self.kb.by_topic:
            # A person takes the complaint; the citizen also learns how to file it formally.
            article = self.kb.by_topic[COMPLAINTS_TOPIC]
            return Reply(
                action="handoff",
                topic=None,
                answer=t("complaint", lang),
                links=article_links(article, lang),
                **base,
            )
        key = {"operator_request": "operator_request", "personal_case": "personal_case"}.get(
            decision.reason, "handoff"
        )
        return Reply(action="handoff", topic=None, answer=t(key, lang), **base)

    def card_reply(
        self, article: Article, lang: str, text: str = "", intent: str = "question", confidence: float = 1.0
    ) -> Reply:
        """The reply for one article (the menu and clarify buttons), under the draft policy."""
        return self._card(
            article,
            lang,
            dict(text=text, lang=lang, intent=intent, confidence=confidence, candidates=[], reason="chosen"),
        )

    def service_reply(self, entry: ServiceEntry, lang: str, text: str = "") -> Reply:
        """The refer reply for one directory service (the menu's "more services")."""
        answer, links = service_referral(entry, lang)
        return Reply(
            text=text,
            lang=lang,
            action="refer",
            intent="question",
            topic=None,
            confidence=1.0,
            answer=answer,
            links=links,
            reason="chosen",
            service=entry.id,
        )

    def _card(self, article: Article, lang: str, base: dict[str, Any]) -> Reply:
        """A card, or what the draft policy shows instead of an unreviewed one."""
        draft = not article.review.reviewed
        if draft and self.draft_policy == "refer":
            answer, links = article_referral(article, lang)
            return Reply(
                action="refer",
                topic=article.topic,
                answer=answer,
                links=links,
                service=article.topic,
                draft=True,
                **base,
            )
        answer = render_card(article, lang)
        if draft and self.draft_policy == "notice":
            answer = f"{answer}\n\n{t('draft_notice', lang)}"
        return Reply(
            action="answer",
            topic=article.topic,
            answer=answer,
            links=article_links(article, lang),
            draft=draft,
            **base,
        )
