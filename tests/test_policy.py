import pytest

from bot.policy import PolicyConfig, decide
from intents.rules import IntentPrediction
from retrieval.search import Hit, SearchResult, ServiceHit

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


@pytest.mark.parametrize(
    "intent, action",
    [
        ("greeting", "smalltalk"),
        ("thanks", "smalltalk"),
        ("goodbye", "smalltalk"),
        ("help", "smalltalk"),
        ("operator_request", "handoff"),
        ("complaint", "handoff"),
        ("personal_case", "handoff"),
        ("out_of_scope", "smalltalk"),
    ],
)
def test_intents_override_retrieval(intent, action):
    assert decide(IntentPrediction(intent, 0.9), result(0.99), CFG).action == action


def test_config_checked():
    with pytest.raises(ValueError):
        PolicyConfig(answer_threshold=0.3, clarify_threshold=0.5)
    with pytest.raises(ValueError):
        PolicyConfig(clarify_options=1)


def with_service(article: float, service: float) -> SearchResult:
    return SearchResult([Hit("topic-0", "topic-0", article)], [ServiceHit("notary", service)])


def test_a_directory_service_that_beats_the_article_is_referred():
    cfg = PolicyConfig(refer_threshold=0.4, service_margin=0.05)
    assert decide(QUESTION, with_service(0.63, 0.70), cfg) == ("refer", "directory_service", ("notary",))
    # the article must beat the service by the margin, not merely tie it
    assert decide(QUESTION, with_service(0.66, 0.63), cfg).action == "refer"
    assert decide(QUESTION, with_service(0.80, 0.63), cfg).action == "answer"


def test_a_sure_article_that_outscores_the_service_needs_no_margin_over_it():
    cfg = PolicyConfig(refer_threshold=0.4, service_margin=0.05, margin_waiver=0.5)
    close = with_service(0.66, 0.63)
    assert decide(QUESTION, close, cfg, answerable=0.7) == ("answer", "confident", ("topic-0",))
    # less sure: the margin applies as before
    assert decide(QUESTION, close, cfg, answerable=0.4).action == "refer"
    # no model judged it: the margin applies
    assert decide(QUESTION, close, cfg).action == "refer"
    # a service that outscores the article is referred however sure the check is
    assert decide(QUESTION, with_service(0.63, 0.66), cfg, answerable=0.99).action == "refer"


def test_a_service_below_the_article_is_referred_only_if_it_holds_the_questions_words():
    cfg = PolicyConfig(refer_threshold=0.2, service_margin=0.05, min_answerable=0.2, min_service_coverage=0.2)
    unanswered = with_service(0.36, 0.28)  # the article leads but seems not to answer
    assert decide(QUESTION, unanswered, cfg, answerable=0.1, service_coverage=0.4).action == "refer"
    assert decide(QUESTION, unanswered, cfg, answerable=0.1, service_coverage=0.0).action == "handoff"
    within_margin = with_service(0.30, 0.28)
    assert decide(QUESTION, within_margin, cfg, answerable=0.3, service_coverage=0.4).action == "refer"
    assert decide(QUESTION, within_margin, cfg, answerable=0.3, service_coverage=0.1).action != "refer"
    # a service that outscores the article needs no share of the words (meaning can carry it)
    assert decide(QUESTION, with_service(0.28, 0.36), cfg, service_coverage=0.0).action == "refer"
    with pytest.raises(ValueError):
        PolicyConfig(min_service_coverage=1.5)


def test_a_weak_service_is_never_referred():
    cfg = PolicyConfig(refer_threshold=0.5)
    assert decide(QUESTION, with_service(0.2, 0.45), cfg).action == "handoff"
    assert decide(QUESTION, SearchResult([], [ServiceHit("notary", 0.45)]), cfg).action == "handoff"


def test_low_word_coverage_turns_a_card_into_a_refer_or_handoff():
    cfg = PolicyConfig(refer_threshold=0.4, min_coverage=0.5)
    assert decide(QUESTION, with_service(0.9, 0.45), cfg, coverage=0.2).action == "refer"
    assert decide(QUESTION, result(0.9), cfg, coverage=0.2) == ("handoff", "not_answerable", ())
    assert decide(QUESTION, result(0.9), cfg, coverage=0.6).action == "answer"


def test_out_of_scope_declines_and_personal_cases_go_to_a_person():
    assert decide(IntentPrediction("out_of_scope", 0.9), with_service(0.9, 0.1), CFG) == (
        "smalltalk",
        "out_of_scope",
        (),
    )
    assert decide(IntentPrediction("personal_case", 0.9), with_service(0.9, 0.1), CFG).action == "handoff"


YIELDING = PolicyConfig(
    answer_threshold=0.5, clarify_threshold=0.4, weak_handoff_intent=0.6, sure_answerable=0.9
)


@pytest.mark.parametrize("intent", ["personal_case", "complaint"])
def test_weak_handoff_intent_yields_to_a_card_that_answers(intent):
    decision = decide(IntentPrediction(intent, 0.55), result(0.8, 0.3), YIELDING, answerable=0.95)
    assert decision == ("answer", f"answers_{intent}", ("topic-0",))


@pytest.mark.parametrize(
    "intent, confidence, answerable, scores",
    [
        ("personal_case", 0.65, 0.95, (0.8, 0.3)),  # the intent model is sure enough
        ("complaint", 0.55, 0.85, (0.8, 0.3)),  # the card may not answer it
        ("personal_case", 0.55, 0.95, (0.45, 0.44)),  # the best a card could be is a clarify
        ("operator_request", 0.55, 0.99, (0.9, 0.1)),  # asking for a person is always honoured
    ],
)
def test_handoff_kept_unless_a_card_clearly_answers(intent, confidence, answerable, scores):
    decision = decide(IntentPrediction(intent, confidence), result(*scores), YIELDING, answerable=answerable)
    assert decision.action == "handoff" and decision.reason == intent


def test_yield_is_off_by_default_and_without_a_model():
    assert (
        decide(IntentPrediction("personal_case", 0.55), result(0.9), CFG, answerable=1.0).action == "handoff"
    )
    assert decide(IntentPrediction("personal_case", 0.55), result(0.9), YIELDING).action == "handoff"
    with pytest.raises(ValueError):
        PolicyConfig(weak_handoff_intent=1.5)
