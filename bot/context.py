"""The chat's memory between messages, and replies that use it.

After a card, "how much is it?", "what do I bring?" or "and for a child?" is about that card: it is
answered from the card's own fields (fee, duration, documents, where, links, and the lines of its
steps that name the group), never searched anew — a search would find some other card. "That
didn't help" offers the next candidates and a person; "the second one" answers a clarify. A
follow-up that names another service is a new question.

The memory (topic, last candidates, a pending clarify's choices) lives in the store with an expiry
(``HELPDESK_CONTEXT_MINUTES``), so it survives a restart and is shared by workers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple, Protocol

from bot.cards import card_part
from bot.dialogue import Helpdesk, Reply
from bot.followups import (
    PARTS,
    Part,
    asked_group,
    asked_part,
    content_words,
    is_repair,
    opens_new_question,
    refers_back,
    split_questions,
    typed_choice,
)
from bot.texts import t
from intents.followups import PartDataError, bundled_part_model
from knowledge.common import LANGS
from knowledge.model import Article
from retrieval.normalize import tokens

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChatContext:
    topic: str | None = None  # the card the chat is about
    candidates: tuple[str, ...] = ()  # the topics the search behind it ranked, best first
    choices: tuple[str, ...] = ()  # a clarify's offered topics, waiting for an answer
    lang: str = "az"

    def to_json(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "candidates": list(self.candidates),
            "choices": list(self.choices),
            "lang": self.lang,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChatContext:
        topic = data.get("topic")
        lang = data.get("lang")
        return cls(
            topic=topic if isinstance(topic, str) else None,
            candidates=tuple(str(c) for c in data.get("candidates") or ()),
            choices=tuple(str(c) for c in data.get("choices") or ()),
            lang=lang if isinstance(lang, str) and lang in LANGS else "az",
        )


class ContextStore(Protocol):
    """Where chat contexts are kept (the helpdesk's store; a dict for the evaluation)."""

    def chat_context(self, chat_id: int) -> tuple[dict[str, Any], float] | None:
        """The saved context and when it was saved, or None."""

    def save_chat_context(self, chat_id: int, user_id: int, context: dict[str, Any]) -> None: ...
    def clear_chat_context(self, chat_id: int) -> None: ...


@dataclass
class InMemoryContexts:
    """A :class:`ContextStore` in a dict: the dialogue evaluation, the terminal chat."""

    saved: dict[int, tuple[dict[str, Any], float]] = field(default_factory=dict)
    clock: Callable[[], float] = time.time

    def chat_context(self, chat_id: int) -> tuple[dict[str, Any], float] | None:
        return self.saved.get(chat_id)

    def save_chat_context(self, chat_id: int, user_id: int, context: dict[str, Any]) -> None:
        self.saved[chat_id] = (context, self.clock())

    def clear_chat_context(self, chat_id: int) -> None:
        self.saved.pop(chat_id, None)


class ChatMemory:
    """A chat's context, forgotten ``minutes`` after its last message (0: no memory at all)."""

    def __init__(self, store: ContextStore, minutes: float, clock: Callable[[], float] = time.time) -> None:
        if minutes < 0:
            raise ValueError("minutes must be 0 or more")
        self.store, self.minutes, self.clock = store, minutes, clock

    def get(self, chat_id: int) -> ChatContext | None:
        if self.minutes == 0:
            return None
        saved = self.store.chat_context(chat_id)
        if saved is None:
            return None
        data, saved_at = saved
        if self.clock() - saved_at > self.minutes * 60:
            return None
        return ChatContext.from_json(data)

    def keep(self, chat_id: int, user_id: int, context: ChatContext | None) -> None:
        if self.minutes == 0:
            return
        if context is None:
            self.store.clear_chat_context(chat_id)
        else:
            self.store.save_chat_context(chat_id, user_id, context.to_json())

    def forget(self, chat_id: int) -> None:
        self.store.clear_chat_context(chat_id)


def after(reply: Reply, before: ChatContext | None) -> ChatContext | None:
    """What the chat is about once ``reply`` has been said."""
    ranked = tuple(str(c["topic"]) for c in reply.candidates if c.get("topic"))
    if reply.action == "answer" and reply.topic:
        if reply.part is not None and before is not None:  # a follow-up: same card, same ranking
            return replace(before, topic=reply.topic, choices=(), lang=reply.lang)
        if len(ranked) <= 1 and before is not None and reply.topic in before.candidates:
            ranked = before.candidates  # a card picked from the offered ones: the ranking still holds
        return ChatContext(reply.topic, ranked or (reply.topic,), (), reply.lang)
    if reply.action == "clarify":
        # The card in mind stays until another is chosen: "how much?" after an unclear message is
        # still about it. A repair keeps the ranking its choices came from.
        topic = before.topic if before is not None else None
        candidates = before.candidates if before is not None and reply.reason == "repair" else ranked
        return ChatContext(topic, candidates, tuple(reply.choices), reply.lang)
    if reply.action == "refer":
        return None  # a service without a card: nothing to follow up from
    return before  # smalltalk, a handoff: the card is still the one in mind


class PartReader:
    """Which part of the card a message asks for: the cue words first; the part model
    (``intents.followups``), when given, for what the cues do not catch."""

    def __init__(self, model: PartModel | None = None, threshold: float = 0.4) -> None:
        self.model, self.threshold = model, threshold

    def part(self, text: str) -> Part | None:
        cued = asked_part(text)
        if cued is not None or self.model is None:
            return cued
        label, probability = self.model.predict(text)
        return label if label in PARTS and probability >= self.threshold else None


def default_part_model() -> PartModel | None:
    """The bundled part classifier; without its examples (a broken file) the cue words alone."""
    try:
        return bundled_part_model()
    except (PartDataError, OSError) as exc:
        log.error("follow-up part model unavailable, using cue words only: %r", exc)
        return None


class PartModel(Protocol):
    def predict(self, text: str) -> tuple[str, float]:
        """The most likely label (a part, or "none") and its probability."""


class Read(NamedTuple):
    replies: list[Reply]
    context: ChatContext | None


class ContextualReplies:
    """The helpdesk's reply to one message, read in the light of the chat's context."""

    def __init__(
        self, helpdesk: Helpdesk, parts: PartReader | None = None, new_question_confidence: float = 0.45
    ) -> None:
        self.helpdesk = helpdesk
        self.parts = parts or PartReader(default_part_model())
        # A follow-up is taken for a question about another service only when the search is this
        # sure of that service on its own (the answer threshold is 0.33): "where do I go, the
        # military office?" finds the military-registration card weakly and stays a follow-up.
        self.new_question_confidence = new_question_confidence
        self.generic = generic_stems(helpdesk.kb.articles)

    def reply(self, text: str, context: ChatContext | None, lang_hint: str | None = None) -> Read:
        """The replies to a message in order (several when it asks several questions), and what
        the chat is about after them."""
        parts = split_questions(text)
        if len(parts) > 1 and not self._really_several(parts):
            parts = [text]
        replies: list[Reply] = []
        for part in parts:
            reply = self._one(part, context, lang_hint)
            replies.append(reply)
            context = after(reply, context)
        return Read(replies, context)

    def _really_several(self, parts: list[str]) -> bool:
        # The later parts must each be a follow-up or a question of its own; otherwise the "and
        # what…" was inside one question, and the whole message is read as one.
        # ("… and how do I get it?" goes on about the first: it names nothing of its own.)
        return all(self.parts.part(p) is not None or self._own_question(p) for p in parts[1:])

    def _own_question(self, part: str) -> bool:
        named = {w[:5] for w in content_words(part)} - self.generic
        return bool(named) and self.helpdesk.reply(part).action == "answer"

    def _one(self, text: str, context: ChatContext | None, lang_hint: str | None) -> Reply:
        started = time.perf_counter()
        kb = self.helpdesk.kb
        if context is not None and context.choices:
            index = typed_choice(text, len(context.choices))
            if index is not None:
                return _timed(self._chosen(context.choices[index], text, lang_hint, context), started)
        if context is not None and is_repair(text):
            return _timed(self._repair(text, context, lang_hint), started)
        part = self.parts.part(text) if context is not None else None
        if context is not None and context.choices:
            # A choice named by its subject ("şəxsiyyət vəsiqəsi", "про оплату налога") wins over a
            # part its words happen to cue; "how much is it?" names no choice and asks the part.
            named = self._named_choice(text, context, strict=part is not None)
            if named is not None:
                return _timed(self._chosen(named, text, lang_hint, context), started)
        fresh = self.helpdesk.reply(text, lang_hint=lang_hint)
        if context is not None and context.choices and context.topic not in kb.by_topic:
            if part is not None and fresh.action != "smalltalk" and not self._names_found(text, fresh):
                # "who is eligible?" while a choice is still open: the choice again, not a person or
                # a card the bare words happen to match; "pasport üçün hansı sənədlər" is its own question
                return _timed(self._choose_first(text, fresh, context), started)
        if context is None or context.topic not in kb.by_topic or part is None:
            return fresh
        # A follow-up that names another service is a new question: it gets that card (or that
        # service's referral). Named means: a word of the message that belongs to the other
        # service's name or keywords and to nothing of the card in context.
        if self._names_another_service(text, fresh, kb.by_topic[context.topic]):
            return fresh
        article = kb.by_topic[context.topic]
        lang = fresh.lang if fresh.lang in LANGS else context.lang
        return _timed(self._part_reply(article, part, text, lang, fresh), started)

    def _chosen(self, topic: str, text: str, lang_hint: str | None, context: ChatContext) -> Reply:
        """The card of a clarify's choice the citizen typed ("ikincisi", "про пенсию")."""
        reply = self.helpdesk.card_reply(
            self.helpdesk.kb.by_topic[topic], self._lang(text, lang_hint, context), text=text
        )
        reply.reason = "typed_choice"
        return reply

    def _names_another_service(self, text: str, fresh: Reply, current: Article) -> bool:
        """Whether a follow-up asks about the service the fresh search found instead: it names it
        (a word of that service's name or keywords), the search is sure of it on its own, and the
        message does not point back at the card ("do I need my passport for that?")."""
        if fresh.action == "answer" and fresh.topic and fresh.topic != current.topic:
            naming = _naming(self.helpdesk.kb.by_topic[fresh.topic])
        elif fresh.action == "refer" and fresh.service:
            entry = self.helpdesk.kb.directory.by_id.get(fresh.service)
            if entry is None:
                return False
            naming = [*entry.name.values(), *(k for ks in entry.keywords.values() for k in ks)]
        else:
            return False
        if (fresh.confidence or 0.0) < self.new_question_confidence:
            return False
        theirs = _stems_of(" ".join(naming))
        words = _stems_of(" ".join(content_words(text)))
        if opens_new_question(text):
            # "bir də soruşum, doğum şəhadətnaməsini necə alaq?": a question of its own about a
            # service that the card in context may mention (among its documents), but is not about.
            ours_naming = _stems_of(" ".join(_naming(current)))
            return any(stem in theirs and stem not in ours_naming for stem in words)
        if refers_back(text):
            return False
        ours = _stems_of(current.search_text())
        asked = words - self.generic
        return any(stem in theirs and stem not in ours for stem in asked)

    def _lang(self, text: str, lang_hint: str | None, context: ChatContext) -> str:
        if lang_hint in LANGS:
            return str(lang_hint)
        return self.helpdesk.reply(text).lang if len(text.split()) > 1 else context.lang

    def _named_choice(self, text: str, context: ChatContext, strict: bool = False) -> str | None:
        """A clarify answered with a few words ("про пенсию"): the offered topic they match best.
        ``strict``: only if a word of the message is in that topic's title or keywords."""
        if len(text.split()) > 5:
            return None
        reply = self.helpdesk.reply(text)
        words = _stems_of(" ".join(content_words(text)))
        for candidate in reply.candidates:
            article = self.helpdesk.kb.by_topic.get(candidate["topic"])
            if candidate["topic"] not in context.choices or article is None:
                continue
            if strict and not words & _stems_of(" ".join(_naming(article))):
                return None
            return str(candidate["topic"])
        return None

    def _names_found(self, text: str, fresh: Reply) -> bool:
        """Whether the message names what the fresh search found (a word of its title, name or
        keywords that is not a word every card uses)."""
        if fresh.action == "answer" and fresh.topic in self.helpdesk.kb.by_topic:
            naming = _naming(self.helpdesk.kb.by_topic[fresh.topic])
        elif fresh.action == "refer" and fresh.service in self.helpdesk.kb.directory.by_id:
            entry = self.helpdesk.kb.directory.by_id[fresh.service]
            naming = [*entry.name.values(), *(k for ks in entry.keywords.values() for k in ks)]
        else:
            return False
        asked = _stems_of(" ".join(content_words(text))) - self.generic
        return bool(asked & _stems_of(" ".join(naming)))

    def _choose_first(self, text: str, fresh: Reply, context: ChatContext) -> Reply:
        """A part asked before any of the offered services was chosen: offer them again."""
        lang = fresh.lang if fresh.lang in LANGS else context.lang
        choices = [c for c in context.choices if c in self.helpdesk.kb.by_topic]
        return Reply(
            text,
            lang,
            "clarify",
            "question",
            None,
            0.0,
            t("clarify_part", lang),
            candidates=[{"topic": c, "score": 0.0} for c in choices],
            choices=choices,
            reason="part_needs_choice",
        )

    def _repair(self, text: str, context: ChatContext, lang_hint: str | None) -> Reply:
        lang = lang_hint if lang_hint in LANGS else self.helpdesk.reply(text).lang
        lang = lang if lang in LANGS else context.lang
        others = [c for c in context.candidates if c != context.topic and c in self.helpdesk.kb.by_topic][:3]
        if not others:
            return Reply(text, lang, "handoff", "repair", None, 0.0, t("repair_none", lang), reason="repair")
        candidates = [{"topic": c, "score": 0.0} for c in others]
        return Reply(
            text,
            lang,
            "clarify",
            "repair",
            None,
            0.0,
            t("repair", lang),
            candidates=candidates,
            choices=others,
            reason="repair",
        )

    def _part_reply(self, article: Article, part: Part, text: str, lang: str, fresh: Reply) -> Reply:
        body = card_part(article, part, lang, asked_group(text) if part == "eligibility" else None)
        links = [{"title": link.title[lang], "url": link.url} for link in article.links]
        return Reply(
            text=text,
            lang=lang,
            action="answer",
            intent="question",
            topic=article.topic,
            confidence=1.0,
            answer=f"{article.title[lang]}\n{body}",
            links=links,
            candidates=[{"topic": article.topic, "score": 1.0}],
            reason=f"follow_up_{part}",
            draft=not article.review.reviewed,
            part=part,
            lang_fallback=fresh.lang_fallback,
        )


_GENERIC: dict[int, frozenset[str]] = {}


def generic_stems(articles: list[Article], share: float = 0.15) -> frozenset[str]:
    """Stems in more than ``share`` of the articles ("citizen", "apply", "get"): they name no
    service. Kept per knowledge base (a reload brings a new list of articles)."""
    key = id(articles)
    if key not in _GENERIC:
        counts: dict[str, int] = {}
        for article in articles:
            for stem in _stems_of(article.search_text()):
                counts[stem] = counts.get(stem, 0) + 1
        _GENERIC.clear()  # one knowledge base served at a time
        _GENERIC[key] = frozenset(s for s, n in counts.items() if n > share * max(1, len(articles)))
    return _GENERIC[key]


def _naming(article: Article) -> list[str]:
    """What names an article's service: its titles and keywords in every language."""
    return [*article.title.values(), *(k for ks in article.keywords.values() for k in ks)]


def _stems_of(text: str, length: int = 5) -> set[str]:
    """Word stems (the first letters of each folded word) of a text, for comparing vocabularies."""
    return {word[:length] for word in tokens(text) if len(word) >= 3}


def _timed(reply: Reply, started: float) -> Reply:
    reply.latency_ms = round((time.perf_counter() - started) * 1000, 2)
    return reply
