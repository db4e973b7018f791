"""bot/tools/dialogues.py: reading dialogue files and scoring conversations turn by turn."""

import json

import pytest

from bot.dialogue import Reply
from bot.tools.dialogues import evaluate_dialogues, kind_of, read_dialogues, turn_right


def write(tmp_path, *dialogues, raw: str = ""):
    path = tmp_path / "d.jsonl"
    path.write_text("".join(json.dumps(d) + "\n" for d in dialogues) + raw, encoding="utf-8")
    return path


def test_a_broken_dialogue_is_refused_with_its_line(tmp_path):
    good = {"id": "a", "lang": "en", "turns": [{"text": "hi", "expect": {"action": "smalltalk"}}]}
    for broken in (
        '{"id": "b", "turns": []}\n',
        '{"id": "b", "turns": [{"text": "hi"}]}\n',
        '{"id": "b", "turns": [{"text": "x", "expect": {"action": "answer", "part": "colour"}}]}\n',
        "not json\n",
    ):
        with pytest.raises(ValueError, match=r"d\.jsonl:2"):
            read_dialogues(write(tmp_path, good, raw=broken))


def test_kinds_and_rightness_of_turns():
    assert kind_of(0, {"action": "answer", "topic": "passport"}) == "first"
    assert kind_of(2, {"action": "answer", "topic": "id-card"}) == "new-question"
    assert kind_of(1, {"action": "answer", "topic": "passport", "part": "fee"}) == "follow-up"
    assert kind_of(1, {"action": "clarify"}) == "repair"
    assert kind_of(2, {"action": "answer"}) == "typed-choice"
    fee = Reply("", "en", "answer", "question", "passport", 1.0, "", part="fee")
    assert turn_right({"action": "answer", "topic": "passport", "part": "fee"}, fee)
    assert not turn_right({"action": "answer", "topic": "passport", "part": "duration"}, fee)
    assert not turn_right({"action": "answer", "topic": "id-card"}, fee)
    assert turn_right({"action": "answer"}, fee)


def test_a_conversation_scored_as_served_and_given_the_right_card(bundled_helpdesk, tmp_path):
    dialogue = {
        "id": "p1",
        "lang": "en",
        "style": "short",
        "turns": [
            {
                "text": "How do I get a passport for travel abroad?",
                "expect": {"action": "answer", "topic": "passport"},
            },
            {"text": "how much is it?", "expect": {"action": "answer", "topic": "passport", "part": "fee"}},
            {
                "text": "what about an ID card?",
                "expect": {"action": "answer", "topic": "id-card", "part": "fee"},
            },
        ],
    }
    report = evaluate_dialogues(bundled_helpdesk, read_dialogues(write(tmp_path, dialogue)))
    served, given = report["served"], report["given_card"]
    assert served["kind:first"]["right"] == 1.0 and served["follow-up:part:fee"]["n"] == 2
    # The last turn names another service but asks no part: as served it is a miss, and the
    # diagnostic puts the chat on the expected card first, where "what about …" still asks no fee.
    assert [m["turn"] for m in served["misses"]] == [2]
    assert given["turns"]["n"] == 3
