from intents.reader import IntentReader
from intents.rules import IntentPrediction


class FixedClassifier:
    """Stands in for the trained model: always the same reading, so the reader's own rules show."""

    name = "fixed"

    def __init__(self, intent: str, confidence: float = 0.9) -> None:
        self.prediction = IntentPrediction(intent, confidence, "portals")

    def analyze_all(self, text):
        return self.prediction, {"portals": 1.0}, {"complaints-appeals": 0.8}


def test_asking_where_to_complain_is_a_question_about_the_procedure():
    reader = IntentReader(FixedClassifier("complaint"))  # type: ignore[arg-type]
    asked = reader.read("Sənədlərimi iki dəfə itiriblər. Rəsmi şikayəti hara verə bilərəm?")[0]
    assert asked == IntentPrediction("question", 0.9, "portals")
    assert reader.read("Как подать жалобу на сотрудника?")[0].intent == "question"


def test_a_grievance_stays_a_complaint():
    reader = IntentReader(FixedClassifier("complaint"))  # type: ignore[arg-type]
    for text in (
        "ASAN xidmətdə işçi kobud davrandı, şikayət edirəm!",
        "I don't know how many times I have to complain about this office.",
        "Where is my passport? It has been two months. I complain!",
    ):
        assert reader.read(text)[0].intent == "complaint", text


def test_only_a_complaint_is_turned_and_a_request_for_a_person_still_wins():
    personal = IntentReader(FixedClassifier("personal_case"))  # type: ignore[arg-type]
    assert personal.read("Where can I complain about my case?")[0].intent == "personal_case"
    reader = IntentReader(FixedClassifier("complaint"))  # type: ignore[arg-type]
    assert reader.read("Where can I complain? Connect me to a real person")[0].intent == "operator_request"
