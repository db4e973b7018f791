import json

import pytest

from bot.tools.evaluation import format_report, groups_of, read_items, score

ITEMS = [
    {"id": "a", "text": "vergi borcu nece", "lang": "az", "expect": {"action": "answer", "topic": "t1"}},
    {"id": "b", "text": "Vergi borcu necə", "lang": "az", "expect": {"action": "answer", "topic": "t1"}},
    {"id": "c", "text": "налог", "lang": "ru", "expect": {"action": "answer", "topic": "t2"}},
    {"id": "d", "text": "weather?", "lang": "en", "expect": {"action": "handoff"}},
    {"id": "e", "text": "hi", "lang": "en", "expect": {"action": "smalltalk", "intent": "greeting"}},
]


def reply(action, topic=None, candidates=(), intent="question", lang="az", ms=10.0):
    return {
        "action": action,
        "topic": topic,
        "intent": intent,
        "lang": lang,
        "latency_ms": ms,
        "candidates": [{"topic": t, "score": 0.5} for t in candidates],
    }


def test_metrics_by_hand():
    replies = [
        reply("answer", "t1", ["t1", "t2"]),  # right
        reply("answer", "t2", ["t2", "t3", "t1"]),  # wrong top-1, right in top 3
        reply("handoff", None, ["t3", "t4", "t5", "t2"], lang="ru"),  # missed, not in top 3
        reply("handoff", None, [], lang="en"),  # right handoff
        reply("smalltalk", intent="greeting", lang="az"),  # right action, wrong language
    ]
    report = score(ITEMS, replies)
    overall = report["all"]
    assert overall["answer_top1"] == pytest.approx(1 / 3, abs=1e-3)
    assert overall["recall_at_3"] == pytest.approx(2 / 3, abs=1e-3)
    assert overall["handoff_recall"] == 1.0
    assert overall["handoff_precision"] == 0.5
    assert overall["smalltalk_accuracy"] == 1.0
    assert overall["language_accuracy"] == 0.8
    assert report["az-folded"]["items"] == 1 and report["az-folded"]["answer_top1"] == 1.0
    assert report["az"]["items"] == 2 and report["en"]["handoff_recall"] == 1.0


def test_groups():
    assert groups_of(ITEMS[0]) == ["all", "az", "az-folded"]
    assert groups_of(ITEMS[1]) == ["all", "az"]


def test_read_items_refuses_broken_lines(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text(json.dumps(ITEMS[0]) + "\n\n" + '{"text": "no expect"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=":3: not an evaluation item"):
        read_items(path)


def test_format_report_table():
    report = {
        "items": 5,
        "modes": {"hybrid": score(ITEMS, [reply("answer", "t1", ["t1"])] * 5)},
        "misses": [
            {
                "id": "c",
                "expect": {"action": "answer", "topic": "t2"},
                "action": "answer",
                "topic": "t1",
                "confidence": 0.7,
                "candidates": ["t1"],
            }
        ],
    }
    text = format_report(report)
    assert "| hybrid | all | 5 |" in text and "c: expected answer t2 → answer t1" in text


NO_CARD = [
    {
        "id": "n1",
        "text": "ov bileti",
        "lang": "az",
        "style": "short",
        "expect": {"action": "no_card", "service": "hunting-licence"},
    },
    {
        "id": "n2",
        "text": "hunting permit",
        "lang": "en",
        "style": "short",
        "expect": {"action": "no_card", "service": "hunting-licence"},
    },
    {
        "id": "n3",
        "text": "weather",
        "lang": "en",
        "style": "casual",
        "expect": {"action": "no_card", "service": "out-of-scope"},
    },
    {
        "id": "n4",
        "text": "adoption",
        "lang": "en",
        "style": "casual",
        "expect": {"action": "no_card", "service": "adoption"},
    },
]


def test_wrong_card_rate_refers_and_styles():
    replies = [
        dict(reply("refer"), service="hunting-licence"),  # right service referred
        dict(reply("refer", lang="en"), service="fishing"),  # a refer, but another service
        reply("smalltalk", intent="out_of_scope", lang="en"),
        reply("answer", "t1", ["t1"], lang="en"),
    ]  # a wrong card
    report = score(NO_CARD, replies)
    overall = report["all"]
    assert overall["no_card"] == 4 and overall["wrong_card_rate"] == 0.25
    assert overall["refers"] == 2 and overall["refer_service_accuracy"] == pytest.approx(1 / 3, abs=1e-3)
    assert overall["action_accuracy"] == 0.75
    assert overall["handoff_precision"] is None  # no_card items never count against handoffs
    assert report["style:short"]["wrong_card_rate"] == 0.0
    assert report["style:casual"]["wrong_card_rate"] == 0.5
    text = format_report({"items": 4, "modes": {"hybrid": report}, "misses": []})
    assert "| hybrid | style:casual | 2 |" in text and "wrong card" in text
