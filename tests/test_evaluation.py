import json

import pytest

from bot.evaluation import format_report, groups_of, read_items, score

ITEMS = [
    {"id": "a", "text": "vergi borcu nece", "lang": "az", "expect": {"action": "answer", "topic": "t1"}},
    {"id": "b", "text": "Vergi borcu necə", "lang": "az", "expect": {"action": "answer", "topic": "t1"}},
    {"id": "c", "text": "налог", "lang": "ru", "expect": {"action": "answer", "topic": "t2"}},
    {"id": "d", "text": "weather?", "lang": "en", "expect": {"action": "handoff"}},
    {"id": "e", "text": "hi", "lang": "en", "expect": {"action": "smalltalk", "intent": "greeting"}},
]


def reply(action, topic=None, candidates=(), intent="question", lang="az", ms=10.0):
    return {"action": action, "topic": topic, "intent": intent, "lang": lang, "latency_ms": ms,
            "candidates": [{"topic": t, "score": 0.5} for t in candidates]}


def test_metrics_by_hand():
    replies = [
        reply("answer", "t1", ["t1", "t2"]),                 # right
        reply("answer", "t2", ["t2", "t3", "t1"]),           # wrong top-1, right in top 3
        reply("handoff", None, ["t3", "t4", "t5", "t2"], lang="ru"),  # missed, not in top 3
        reply("handoff", None, [], lang="en"),                # right handoff
        reply("smalltalk", intent="greeting", lang="az"),     # right action, wrong language
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
    report = {"items": 5, "modes": {"hybrid": score(ITEMS, [reply("answer", "t1", ["t1"])] * 5)},
              "misses": [{"id": "c", "expect": {"action": "answer", "topic": "t2"}, "action": "answer",
                          "topic": "t1", "confidence": 0.7, "candidates": ["t1"]}]}
    text = format_report(report)
    assert "| hybrid | all | 5 |" in text and "c: expected answer t2 → answer t1" in text
