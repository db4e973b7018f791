"""Turn the intent and the retrieval result into one action: answer, clarify, refer, handoff,
smalltalk.

A wrong card is worse than no card, so an article answers only when it beats the best directory
service that no article covers and (when the check is on) contains enough of the question's
content words; a service that wins is *referred* (its name, agency and official link).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from intents.rules import SMALLTALK, IntentPrediction
from retrieval.search import SearchResult

ACTIONS = ("answer", "clarify", "refer", "handoff", "smalltalk")


@dataclass(frozen=True)
class PolicyConfig:
    answer_threshold: float = 0.50  # top confidence needed to answer outright
    clarify_threshold: float = 0.40  # below this nothing is close enough: hand off
    clarify_margin: float = 0.0  # top two closer than this: ask which one
    clarify_options: int = 3
    intent_threshold: float = 0.5  # a non-question intent below this is treated as a question
    out_of_scope_threshold: float = 0.5  # out_of_scope needs this much to decline
    refer_threshold: float = 0.40  # a directory service this good may be referred to
    service_margin: float = 0.0  # an article must beat the best service by this much to answer
    min_coverage: float = 0.0  # share of the question's content words the article must hold
    min_answerable: float = 0.0  # the answerability model's probability an answer needs
    # A personal-case or complaint intent below this yields to a card the evidence says answers
    # (probability >= sure_answerable): "how do I see what was paid into my pension account?"
    # reads like a personal case to the intent model, but the card answers it.
    weak_handoff_intent: float = 0.0
    sure_answerable: float = 0.9
    # An article that outscores the best service needs no service_margin over it when the
    # answerability check is at least this sure of it ("195 vergi borcu": the tax-debt card, not
    # the 195 call centre it names). 1.0: the margin always applies.
    margin_waiver: float = 1.0
    # A service that scores below the best article (referred for the margin or because the article
    # seems not to answer) must itself hold this share of the question's content words
    # ("bülleten necə açılır": the sick-leave card scores higher but seems not to answer; the
    # address-assignment service shares none of its words, so referring there is a wrong card).
    min_service_coverage: float = 0.0

    def __post_init__(self) -> None:
        if not 0 <= self.clarify_threshold <= self.answer_threshold <= 1:
            raise ValueError("need 0 <= clarify_threshold <= answer_threshold <= 1")
        if not all(
            0 <= v <= 1
            for v in (
                self.refer_threshold,
                self.min_coverage,
                self.min_answerable,
                self.weak_handoff_intent,
                self.sure_answerable,
                self.margin_waiver,
                self.min_service_coverage,
            )
        ):
            raise ValueError(
                "refer_threshold, min_coverage, min_answerable, weak_handoff_intent, "
                "sure_answerable, margin_waiver and min_service_coverage must be within [0, 1]"
            )
        if not -1 <= self.service_margin <= 1:
            raise ValueError("service_margin must be within [-1, 1]")
        if self.clarify_margin < 0 or self.clarify_options < 2:
            raise ValueError("clarify_margin must be >= 0 and clarify_options >= 2")


class Decision(NamedTuple):
    action: str
    reason: str
    topics: tuple[str, ...] = ()


def decide(
    intent: IntentPrediction,
    result: SearchResult,
    config: PolicyConfig,
    coverage: float = 1.0,
    answerable: float | None = None,
    service_coverage: float = 1.0,
) -> Decision:
    """``coverage``: the share of the question's content words found in the best article;
    ``answerable``: the answerability model's probability that the best article answers it
    (None: no model judged it, so no threshold of it applies); ``service_coverage``: the same
    share for the best directory service."""
    sure = intent.confidence >= config.intent_threshold
    if intent.intent in SMALLTALK and sure:
        return Decision("smalltalk", intent.intent)
    if intent.intent in ("operator_request", "complaint", "personal_case") and sure:
        yields = (
            intent.intent != "operator_request"
            and intent.confidence < config.weak_handoff_intent
            and answerable is not None
            and answerable >= config.sure_answerable
            and result.confidence >= config.answer_threshold
        )
        if yields:
            # Only a card may take the place of the person; anything less still goes to one.
            as_question = decide(
                IntentPrediction("question", intent.confidence),
                result,
                config,
                coverage,
                answerable,
                service_coverage,
            )
            if as_question.action == "answer":
                return Decision("answer", f"answers_{intent.intent}", as_question.topics)
        return Decision("handoff", intent.intent)
    if intent.intent == "out_of_scope" and intent.confidence >= config.out_of_scope_threshold:
        return Decision("smalltalk", "out_of_scope")
    top, service = result.top, result.top_service
    article_score = result.confidence
    service_score = service.score if service else 0.0
    unanswerable = coverage < config.min_coverage or (
        answerable is not None and answerable < config.min_answerable
    )
    margin = config.service_margin
    if answerable is not None and answerable >= config.margin_waiver and article_score > service_score:
        margin = 0.0
    # A service that scores below the article replaces it only if it holds the question's words.
    below_article = top is not None and article_score > service_score
    service_wins = (
        service is not None
        and service_score >= config.refer_threshold
        and (top is None or article_score < service_score + margin or unanswerable)
        and (not below_article or service_coverage >= config.min_service_coverage)
    )
    if service_wins and service is not None:  # (service_wins implies it; mypy cannot see that)
        return Decision("refer", "directory_service", (service.service,))
    if intent.intent == "out_of_scope" and (
        top is None or unanswerable or article_score < config.answer_threshold
    ):
        # The model leans to "not a state service" and nothing answers well: decline politely.
        return Decision("smalltalk", "out_of_scope")
    if top is None or article_score < config.clarify_threshold:
        return Decision("handoff", "low_confidence")
    if unanswerable:
        # Not sure the best article answers it: offer the likeliest ones (and a person), or a person.
        close = tuple(
            h.topic for h in result.hits[: config.clarify_options] if h.score >= config.clarify_threshold
        )
        if len(close) >= 2:
            return Decision("clarify", "not_answerable", close)
        return Decision("handoff", "not_answerable")
    if article_score >= config.answer_threshold and result.margin >= config.clarify_margin:
        return Decision("answer", "confident", (top.topic,))
    close = tuple(
        h.topic for h in result.hits[: config.clarify_options] if h.score >= config.clarify_threshold
    )
    if len(close) >= 2:
        return Decision("clarify", "close_candidates", close)
    if result.confidence >= config.answer_threshold:
        return Decision("answer", "confident", (top.topic,))
    return Decision("handoff", "low_confidence")
