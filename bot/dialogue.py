"""The Telegram-free heart of the helpdesk: one question in, one :class:`Reply` out.

The same :class:`Helpdesk` serves the Telegram bot, the terminal chat, ``helpdesk ask``, the
evaluation and the benchmarks.
"""

from __future__ import annotations

import asyncio
import copy
import threading
import time
from collections import OrderedDict
from dataclasses import asdict, dataclass, field

from bot.config import Settings
from bot.policy import PolicyConfig, decide
from bot.texts import t
from intents.language import detect_language
from intents.classifier import IntentClassifier
from intents.rules import SMALLTALK, IntentPrediction, KeywordIntents
from knowledge.loader import LANGS, Article, KnowledgeBase, load_knowledge_base
from retrieval.embedders import Embedder, make_embedder
from retrieval.index import load_index
from retrieval.normalize import clean, tokens
from retrieval.search import FusionConfig, HybridSearcher, Mode, SearchResult

# Retrieval reads this much of a message; a 10,000-character paste is still answered, from its start.
MAX_QUERY_CHARS = 1000


@dataclass
class Reply:
    text: str
    lang: str
    action: str
    intent: str
    topic: str | None
    confidence: float
    answer: str
    links: list[dict] = field(default_factory=list)
    candidates: list[dict] = field(default_factory=list)
    latency_ms: float = 0.0
    lang_fallback: bool = False
    choices: list[str] = field(default_factory=list)  # the topics a clarify offers
    reason: str = ""                                  # why the policy chose the action

    def to_json_dict(self) -> dict:
        """The ``helpdesk ask --json`` contract of DESIGN.md (and nothing else)."""
        data = asdict(self)
        for extra in ("lang_fallback", "choices", "reason"):
            data.pop(extra)
        return data


def render_card(article: Article, lang: str) -> str:
    """A service card in plain text: title, steps, then documents, fee, time, where, agency."""
    lang = lang if lang in LANGS else "az"
    section = article.sections[lang]
    lines = [section.title, "", section.body, ""]
    documents = article.documents.get(lang) or []
    if documents:
        lines.append(f"{t('documents', lang)}: " + "; ".join(documents))
    if article.fee:
        lines.append(f"{t('fee', lang)}: {article.fee[lang]}")
    if article.duration:
        lines.append(f"{t('duration', lang)}: {article.duration[lang]}")
    lines.append(f"{t('where', lang)}: {t('channel_' + article.channel, lang)}")
    lines.append(f"{t('agency', lang)}: {article.agency[lang]}")
    return "\n".join(lines).strip()


def article_links(article: Article, lang: str) -> list[dict]:
    lang = lang if lang in LANGS else "az"
    return [{"title": link.title[lang], "url": link.url} for link in article.links]


class IntentReader:
    """The trained classifier, with the keyword rules kept for what must never be missed.

    An explicit request for a person ("operator", "оператор") is honoured whatever the model
    thinks; without a trained model the rules alone decide.
    """

    def __init__(self, classifier: IntentClassifier | None = None) -> None:
        self.classifier = classifier
        self.rules = KeywordIntents()
        self.name = classifier.name if classifier else self.rules.name

    def analyze(self, text: str) -> tuple[IntentPrediction, dict[str, float]]:
        """Intent and sector probabilities; an explicit request for a person always wins."""
        by_rule = self.rules.predict(text)
        if self.classifier is None:
            return by_rule, {}
        prediction, sectors = self.classifier.analyze(text)
        return (by_rule if by_rule.intent == "operator_request" else prediction), sectors

    def predict(self, text: str) -> IntentPrediction:
        return self.analyze(text)[0]

    def sector_probabilities(self, text: str) -> dict[str, float]:
        return self.analyze(text)[1]


COMPLAINTS_TOPIC = "complaints-appeals"


class Helpdesk:
    def __init__(self, kb: KnowledgeBase, searcher: HybridSearcher,
                 policy: PolicyConfig | None = None, intents=None, cache_size: int = 4096) -> None:
        self.kb = kb
        self.searcher = searcher
        self.policy = policy or PolicyConfig()
        self.intents = intents or IntentReader()
        # Citizens ask the same questions again and again: remember recent replies (LRU) so a
        # repeated question skips the model. The key is the cleaned text, so "Salam" and
        # "salam\u200b" share an entry; a new Helpdesk (a reload) starts empty.
        self.cache_size = cache_size
        self._cache: OrderedDict[tuple, Reply] = OrderedDict()
        self._cache_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, embedder: Embedder | None = None) -> "Helpdesk":
        """Load the articles, the embedder and the saved index; each failure says what to run."""
        kb = load_knowledge_base(settings.articles_dir, settings.coverage_file,
                                 tuple(settings.official_domains))
        embedder = embedder or make_embedder(settings.embedder)
        index = load_index(settings.index_dir, kb, embedder)
        fusion = FusionConfig(fusion=settings.fusion, dense_weight=settings.dense_weight,
                              dense_weight_folded=settings.dense_weight_folded,
                              sector_weight=settings.sector_weight,
                              dense_floor=settings.dense_floor, dense_ceiling=settings.dense_ceiling,
                              bm25_half=settings.bm25_half)
        policy = PolicyConfig(answer_threshold=settings.answer_threshold,
                              clarify_threshold=settings.clarify_threshold,
                              clarify_margin=settings.clarify_margin,
                              intent_threshold=settings.intent_threshold,
                              out_of_scope_threshold=settings.out_of_scope_threshold)
        classifier = IntentClassifier.load(settings.intents_dir)
        return cls(kb, HybridSearcher(kb, index, embedder, fusion), policy, IntentReader(classifier),
                   cache_size=settings.answer_cache_size)

    def reply(self, text: str, lang_hint: str | None = None, mode: Mode = "hybrid") -> Reply:
        started = time.perf_counter()
        text = text if isinstance(text, str) else ""
        query = clean(text)[:MAX_QUERY_CHARS]
        guess = detect_language(query, default=lang_hint if lang_hint in LANGS else "az")
        # A citizen's chosen language wins over a guess from a two-word message.
        lang = lang_hint if lang_hint in LANGS else guess.lang
        # Several words and no sign of any of our languages: answer in Azerbaijani and say so.
        fallback = lang_hint not in LANGS and not guess.confident and len(tokens(query)) >= 3
        key = (query, lang_hint if lang_hint in LANGS else None, mode, self.policy)
        cached = self._cached(key)
        if cached is not None:
            reply = cached
            reply.text = text
        elif not tokens(query):
            reply = Reply(text, lang, "smalltalk", "empty", None, 0.0, t("empty", lang))
        else:
            reply = self._answer(text, query, lang, guess.lang, mode)
            self._remember(key, reply)
        if fallback:
            reply.lang_fallback = True
            reply.answer = f"{t('fallback_unknown_lang', lang)}\n\n{reply.answer}"
        reply.latency_ms = round((time.perf_counter() - started) * 1000, 2)
        return reply

    def _cached(self, key: tuple) -> Reply | None:
        if self.cache_size <= 0:
            return None
        with self._cache_lock:
            hit = self._cache.get(key)
            if hit is None:
                return None
            self._cache.move_to_end(key)
        return copy.deepcopy(hit)

    def _remember(self, key: tuple, reply: Reply) -> None:
        if self.cache_size <= 0:
            return
        with self._cache_lock:
            self._cache[key] = copy.deepcopy(reply)
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)

    async def areply(self, text: str, lang_hint: str | None = None) -> Reply:
        """The same, off the event loop: encoding is CPU-bound."""
        return await asyncio.to_thread(self.reply, text, lang_hint)

    def _answer(self, text: str, query: str, lang: str, query_lang: str, mode: Mode) -> Reply:
        intent, sectors = self.intents.analyze(query)
        skip_search = intent.intent in SMALLTALK and intent.confidence >= self.policy.intent_threshold
        result: SearchResult = (SearchResult() if skip_search
                                else self.searcher.search(
                                    query, k=5, mode=mode, lang=query_lang,
                                    sector_probs=sectors))
        decision = decide(intent, result, self.policy)
        candidates = [{"topic": h.topic, "score": h.score} for h in result.hits]
        base = dict(text=text, lang=lang, intent=intent.intent, confidence=result.confidence,
                    candidates=candidates, reason=decision.reason)
        if decision.action == "smalltalk":
            return Reply(action="smalltalk", topic=None, answer=t(intent.intent, lang), **base)
        if decision.action == "answer":
            article = self.kb.by_topic[decision.topics[0]]
            return Reply(action="answer", topic=article.topic, answer=render_card(article, lang),
                         links=article_links(article, lang), **base)
        if decision.action == "clarify":
            titles = [self.kb.by_topic[topic].title[lang] for topic in decision.topics]
            answer = t("clarify", lang) + "\n" + "\n".join(f"• {title}" for title in titles)
            return Reply(action="clarify", topic=None, answer=answer, choices=list(decision.topics),
                         **base)
        if decision.reason == "complaint" and COMPLAINTS_TOPIC in self.kb.by_topic:
            # A person takes the complaint; the citizen also learns how to file it formally.
            article = self.kb.by_topic[COMPLAINTS_TOPIC]
            return Reply(action="handoff", topic=None, answer=t("complaint", lang),
                         links=article_links(article, lang), **base)
        key = {"operator_request": "operator_request", "out_of_scope": "out_of_scope"}.get(
            decision.reason, "handoff")
        return Reply(action="handoff", topic=None, answer=t(key, lang), **base)
