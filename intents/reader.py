"""What the dialogue asks of the intent side: one message in, its intent, sectors and topics out.

:class:`IntentModel` is the interface :class:`bot.dialogue.Helpdesk` depends on;
:class:`IntentReader` is the one that serves: the trained classifier, with the keyword rules
kept for what must never be missed.
"""

from __future__ import annotations

from typing import Protocol

from intents.classifier import IntentClassifier
from intents.rules import IntentPrediction, KeywordIntents, asks_how_to_complain
from retrieval.normalize import fold


class IntentModel(Protocol):
    """Reads a message: its intent and the sector and topic probabilities (empty when unknown)."""

    @property
    def name(self) -> str: ...

    def read(self, text: str) -> tuple[IntentPrediction, dict[str, float], dict[str, float]]: ...


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
        return self.read(text)[:2]

    def read(self, text: str) -> tuple[IntentPrediction, dict[str, float], dict[str, float]]:
        """Intent, sector and topic probabilities; an explicit request for a person always wins."""
        by_rule = self.rules.predict(text)
        if self.classifier is None:
            return by_rule, {}, {}
        prediction, sectors, topics = self.classifier.analyze_all(text)
        if by_rule.intent == "operator_request":
            return by_rule, sectors, topics
        if prediction.intent == "complaint" and asks_how_to_complain(fold(text)):
            # A question about the complaints procedure, which the intent's own definition
            # counts as a question; the card carries "talk to a person" all the same.
            prediction = IntentPrediction("question", prediction.confidence, prediction.sector)
        return prediction, sectors, topics

    def predict(self, text: str) -> IntentPrediction:
        return self.analyze(text)[0]

    def sector_probabilities(self, text: str) -> dict[str, float]:
        return self.analyze(text)[1]
