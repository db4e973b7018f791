"""Turn the intent and the retrieval result into one action: answer, clarify, handoff, smalltalk."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from intents.rules import SMALLTALK, IntentPrediction
from retrieval.search import SearchResult

ACTIONS = ("answer", "clarify", "handoff", "smalltalk")


@dataclass(frozen=True)
class PolicyConfig:
    answer_threshold: float = 0.50   # top confidence needed to answer outright
    clarify_threshold: float = 0.40  # below this nothing is close enough: hand off
    clarify_margin: float = 0.0      # top two closer than this: ask which one
    clarify_options: int = 3
    intent_threshold: float = 0.5        # a non-question intent below this is treated as a question
    out_of_scope_threshold: float = 0.5  # out_of_scope needs this much to hand off unasked

    def __post_init__(self) -> None:
        if not 0 <= self.clarify_threshold <= self.answer_threshold <= 1:
            raise ValueError("need 0 <= clarify_threshold <= answer_threshold <= 1")
        if self.clarify_margin < 0 or self.clarify_options < 2:
            raise ValueError("clarify_margin must be >= 0 and clarify_options >= 2")


class Decision(NamedTuple):
    action: str
    reason: str
    topics: tuple[str, ...] = ()


def decide(intent: IntentPrediction, result: SearchResult, config: PolicyConfig) -> Decision:
    sure = intent.confidence >= config.intent_threshold
    if intent.intent in SMALLTALK and sure:
        return Decision("smalltalk", intent.intent)
    if intent.intent in ("operator_request", "complaint") and sure:
        return Decision("handoff", intent.intent)
    if intent.intent == "out_of_scope" and intent.confidence >= config.out_of_scope_threshold:
        return Decision("handoff", "out_of_scope")
    top = result.top
    if top is None or result.confidence < config.clarify_threshold:
        return Decision("handoff", "low_confidence")
    if result.confidence >= config.answer_threshold and result.margin >= config.clarify_margin:
        return Decision("answer", "confident", (top.topic,))
    close = tuple(h.topic for h in result.hits[: config.clarify_options]
                  if h.score >= config.clarify_threshold)
    if len(close) >= 2:
        return Decision("clarify", "close_candidates", close)
    if result.confidence >= config.answer_threshold:
        return Decision("answer", "confident", (top.topic,))
    return Decision("handoff", "low_confidence")
