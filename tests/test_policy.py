import pytest

from bot.policy import PolicyConfig, decide
from intents.rules import IntentPrediction
from retrieval.search import Hit, SearchResult

CFG = PolicyConfig(answer_threshold=0.5, clarify_threshold=0.4, clarify_margin=0.05)
QUESTION = IntentPrediction("question", 0.5)


def result(*scores):
    return SearchResult([Hit(f"topic-{i}", f"topic-{i}", s) for i, s in enumerate(scores)])


def test_confident_answer():
    assert decide(QUESTION, result(0.8, 0.5), CFG) == ("answer", "confident", ("topic-0",))


def test_close_candidates_clarify():
    decision = decide(QUESTION, result(0.62, 0.60, 0.45, 0.2), CFG)
    assert decision.action == "clarify" and decision.topics == ("topic-0", "topic-1", "topic-2")


def test_middle_band_clarifies_or_hands_off():
    assert decide(QUESTION, result(0.45, 0.42), CFG).action == "clarify"
    assert decide(QUESTION, result(0.45, 0.10), CFG).action == "handoff"


def test_low_confidence_and_nothing_found_hand_off():
    assert decide(QUESTION, result(0.2, 0.1), CFG) == ("handoff", "low_confidence", ())
    assert decide(QUESTION, SearchResult(), CFG).action == "handoff"


def test_confident_but_close_falls_back_to_answer_when_runner_up_is_weak():
    cfg = PolicyConfig(answer_threshold=0.5, clarify_threshold=0.45, clarify_margin=0.2)
    assert decide(QUESTION, result(0.6, 0.44), cfg).action == "answer"


@pytest.mark.parametrize("intent, action", [("greeting", "smalltalk"), ("thanks", "smalltalk"),
                                            ("goodbye", "smalltalk"), ("help", "smalltalk"),
                                            ("operator_request", "handoff"), ("complaint", "handoff"),
                                            ("out_of_scope", "handoff")])
def test_intents_override_retrieval(intent, action):
    assert decide(IntentPrediction(intent, 0.9), result(0.99), CFG).action == action


def test_config_checked():
    with pytest.raises(ValueError):
        PolicyConfig(answer_threshold=0.3, clarify_threshold=0.5)
    with pytest.raises(ValueError):
        PolicyConfig(clarify_options=1)
