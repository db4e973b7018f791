"""``helpdesk eval``: answer quality on a labelled JSON Lines file, per retrieval mode and language.

Groups: ``all``, each language, ``az-folded`` — Azerbaijani typed without its letters —
reported apart because it is how most citizens write, and ``style:<style>`` for items that carry a
``style``. ``no_card`` items (no article answers them) count as right for any action but
``answer``; the share of them answered with a card is the wrong-card rate, and handoff precision
leaves them out (a person is a fine outcome for them).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from intents.language import AZ_LETTERS

MODES = ("hybrid", "bm25", "dense")
HANDOFF_INTENTS = frozenset({"operator_request", "personal_case", "complaint"})


def expected_intent(item: dict) -> str | None:
    """The intent an item implies: smalltalk names it, answerable is a question, handoff is any
    of the intents that lead to a person (returned as "handoff-intent")."""
    expect = item["expect"]
    if expect["action"] == "smalltalk":
        return expect.get("intent")
    if expect["action"] in ("answer", "clarify"):
        return "question"
    if expect["action"] == "handoff":
        return "handoff-intent"
    return None


def intent_matches(expected: str | None, predicted: str) -> bool:
    if expected == "handoff-intent":
        return predicted in HANDOFF_INTENTS or predicted == "question"
    return expected == predicted


def read_items(path: Path) -> list[dict]:
    items = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            item["expect"]["action"]  # noqa: B018 - a missing key is a broken file
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not an evaluation item ({exc})") from exc
        items.append(item)
    return items


def groups_of(item: dict) -> list[str]:
    groups = ["all", item.get("lang", "?")]
    if item.get("lang") == "az" and not any(ch in AZ_LETTERS for ch in item["text"]):
        groups.append("az-folded")
    if item.get("style"):
        groups.append(f"style:{item['style']}")
    return groups


def _ratio(hits: int, total: int) -> float | None:
    return round(hits / total, 3) if total else None


def score(items: list[dict], replies: list[dict]) -> dict[str, dict]:
    """Metrics per group from items and their replies (``Reply.to_json_dict()`` form)."""
    tally: dict[str, Counter] = defaultdict(Counter)
    latencies: dict[str, list[float]] = defaultdict(list)
    for item, reply in zip(items, replies):
        expect = item["expect"]
        topics = [c["topic"] for c in reply["candidates"]]
        for group in groups_of(item):
            c = tally[group]
            latencies[group].append(reply["latency_ms"])
            c["items"] += 1
            c["lang_ok"] += reply["lang"] == item.get("lang")
            if expect["action"] == "answer":
                c["answerable"] += 1
                c["answer_top1"] += reply["action"] == "answer" and reply["topic"] == expect["topic"]
                c["rank_top1"] += bool(topics) and topics[0] == expect["topic"]
                c["recall3"] += expect["topic"] in topics[:3]
            if expect["action"] == "handoff":
                c["handoff_expected"] += 1
                c["handoff_hit"] += reply["action"] == "handoff"
            if reply["action"] == "handoff" and expect["action"] != "no_card":
                c["handoff_predicted"] += 1
                c["handoff_right"] += expect["action"] == "handoff"
            if expect["action"] == "no_card":
                c["no_card"] += 1
                c["wrong_card"] += reply["action"] == "answer"
                if expect.get("service") and expect["service"] != "out-of-scope":
                    c["refer_expected"] += 1
                    c["refer_right"] += (
                        reply["action"] == "refer" and reply.get("service") == expect["service"]
                    )
            c["refers"] += reply["action"] == "refer"
            if expect["action"] == "smalltalk":
                c["smalltalk"] += 1
                c["smalltalk_ok"] += reply["action"] == "smalltalk" and reply["intent"] == expect.get(
                    "intent", reply["intent"]
                )
            c["action_ok"] += (
                reply["action"] != "answer"
                if expect["action"] == "no_card"
                else reply["action"] == expect["action"]
            )
            wanted = expected_intent(item)
            if wanted is not None:
                c["intent_items"] += 1
                c["intent_ok"] += intent_matches(wanted, reply["intent"])
    report = {}
    for group, c in tally.items():
        lat = np.array(latencies[group])
        report[group] = {
            "items": c["items"],
            "answerable": c["answerable"],
            "answer_top1": _ratio(c["answer_top1"], c["answerable"]),
            "rank_top1": _ratio(c["rank_top1"], c["answerable"]),
            "recall_at_3": _ratio(c["recall3"], c["answerable"]),
            "handoff_recall": _ratio(c["handoff_hit"], c["handoff_expected"]),
            "handoff_precision": _ratio(c["handoff_right"], c["handoff_predicted"]),
            "smalltalk_accuracy": _ratio(c["smalltalk_ok"], c["smalltalk"]),
            "no_card": c["no_card"],
            "wrong_card_rate": _ratio(c["wrong_card"], c["no_card"]),
            "refers": c["refers"],
            "refer_service_accuracy": _ratio(c["refer_right"], c["refer_expected"]),
            "action_accuracy": _ratio(c["action_ok"], c["items"]),
            "language_accuracy": _ratio(c["lang_ok"], c["items"]),
            "intent_accuracy": _ratio(c["intent_ok"], c["intent_items"]),
            "latency_p50_ms": round(float(np.percentile(lat, 50)), 1),
            "latency_p95_ms": round(float(np.percentile(lat, 95)), 1),
        }
    return report


def evaluate(helpdesk, items: list[dict], modes: tuple[str, ...] = MODES) -> dict:
    report: dict = {"items": len(items), "modes": {}, "misses": []}
    for mode in modes:
        replies = [helpdesk.reply(item["text"], mode=mode).to_json_dict() for item in items]
        report["modes"][mode] = score(items, replies)
        if mode == "hybrid":
            report["confusion"] = confusion(items, replies)
            for item, reply in zip(items, replies):
                expect = item["expect"]
                wrong = (
                    reply["action"] == "answer"
                    if expect["action"] == "no_card"
                    else reply["action"] != expect["action"]
                    or (expect.get("topic") and reply["topic"] != expect["topic"])
                )
                if wrong:
                    report["misses"].append(
                        {
                            "id": item.get("id"),
                            "expect": item["expect"],
                            "action": reply["action"],
                            "topic": reply["topic"] or reply.get("service"),
                            "confidence": reply["confidence"],
                            "candidates": [c["topic"] for c in reply["candidates"][:3]],
                        }
                    )
    return report


def confusion(items: list[dict], replies: list[dict]) -> dict[str, dict[str, int]]:
    """What went wrong, counted: expected → predicted for language, intent and action."""
    out: dict[str, Counter] = {"language": Counter(), "intent": Counter(), "action": Counter()}
    for item, reply in zip(items, replies):
        if reply["lang"] != item.get("lang"):
            out["language"][f"{item.get('lang')} → {reply['lang']}"] += 1
        wanted = expected_intent(item)
        if wanted is not None and not intent_matches(wanted, reply["intent"]):
            out["intent"][f"{wanted} → {reply['intent']}"] += 1
        wanted_action = item["expect"]["action"]
        if wanted_action == "no_card" and reply["action"] != "answer":
            continue
        if reply["action"] != wanted_action:
            out["action"][f"{wanted_action} → {reply['action']}"] += 1
    return {kind: dict(counter.most_common()) for kind, counter in out.items()}


_COLUMNS = (
    ("answer_top1", "top-1"),
    ("recall_at_3", "R@3"),
    ("rank_top1", "rank-1"),
    ("handoff_recall", "handoff R"),
    ("handoff_precision", "handoff P"),
    ("smalltalk_accuracy", "smalltalk"),
    ("wrong_card_rate", "wrong card"),
    ("refers", "refers"),
    ("intent_accuracy", "intent"),
    ("language_accuracy", "lang"),
    ("latency_p50_ms", "p50 ms"),
    ("latency_p95_ms", "p95 ms"),
)


def format_report(report: dict) -> str:
    def cell(key: str, value) -> str:
        if value is None:
            return "–"
        if isinstance(value, int):
            return str(value)
        return f"{value:.1f}" if key.endswith("_ms") else f"{value:.3f}"

    lines = [f"{report['items']} items", ""]
    header = "| mode | group | n | " + " | ".join(label for _, label in _COLUMNS) + " |"
    lines += [header, "|" + "---|" * (len(_COLUMNS) + 3)]
    for mode, groups in report["modes"].items():
        styles = sorted(g for g in groups if g.startswith("style:")) if mode == "hybrid" else []
        for group in ("all", "az", "az-folded", "ru", "en", *styles):
            if group in groups:
                g = groups[group]
                lines.append(
                    f"| {mode} | {group} | {g['items']} | "
                    + " | ".join(cell(key, g[key]) for key, _ in _COLUMNS)
                    + " |"
                )
    for kind, counts in report.get("confusion", {}).items():
        shown = ", ".join(f"{pair} ×{n}" for pair, n in counts.items()) or "none"
        lines.append(f"{kind} confusion (hybrid): {shown}")
    if report["misses"]:
        lines += ["", "hybrid misses:"]
        for miss in report["misses"]:
            lines.append(
                f"  {miss['id']}: expected {miss['expect'].get('action')} "
                f"{miss['expect'].get('topic') or miss['expect'].get('intent') or ''} → "
                f"{miss['action']} {miss['topic'] or ''} ({miss['confidence']:.2f}; "
                f"{', '.join(miss['candidates'])})"
            )
    return "\n".join(lines)
