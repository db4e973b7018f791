"""Evaluating conversations: each dialogue's turns go through the served contextual replies in
order, with the chat's memory carried from turn to turn exactly as the bot carries it.

A dialogue file is JSON Lines, one dialogue per line::

    {"id": "dl001", "lang": "az", "style": "casual", "turns": [
      {"text": "...", "expect": {"action": "answer", "topic": "passport"}},
      {"text": "neçəyə başa gəlir?", "expect": {"action": "answer", "topic": "passport", "part": "fee"}},
      {"text": "bu deyil", "expect": {"action": "clarify"}}]}

``part`` is one of fee, duration, documents, where, link, eligibility: the turn is a follow-up
and must be answered with that part of that card. A turn whose ``expect`` names only the action
(a clarify answered by typing) is right when the action is.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from bot.context import ChatContext, ContextualReplies
from bot.dialogue import Helpdesk, Reply
from bot.followups import PARTS


def read_dialogues(path: Path) -> list[dict[str, Any]]:
    dialogues = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            dialogue = json.loads(line)
            turns = dialogue["turns"]
            if not turns or any(not isinstance(t["text"], str) or "action" not in t["expect"] for t in turns):
                raise ValueError("every turn needs a text and an expected action")
            for turn in turns:
                part = turn["expect"].get("part")
                if part is not None and part not in PARTS:
                    raise ValueError(f"unknown part {part!r}")
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a dialogue ({exc})") from exc
        dialogues.append(dialogue)
    return dialogues


def kind_of(number: int, expect: dict[str, Any]) -> str:
    if expect.get("part"):
        return "follow-up"
    if expect["action"] == "clarify":
        return "repair"
    if expect["action"] == "answer" and not expect.get("topic"):
        return "typed-choice"
    return "first" if number == 0 else "new-question"


def turn_right(expect: dict[str, Any], reply: Reply) -> bool:
    if reply.action != expect["action"]:
        return False
    if expect.get("topic") and reply.topic != expect["topic"]:
        return False
    return not expect.get("part") or reply.part == expect["part"]


def run_dialogue(
    replies: ContextualReplies, dialogue: dict[str, Any], given_card: bool
) -> list[dict[str, Any]]:
    """Each turn's outcome. ``given_card``: before a follow-up the chat is put on the expected
    card, so a miss of an earlier turn does not count against the follow-up (a diagnostic)."""
    context: ChatContext | None = None
    outcomes = []
    for number, turn in enumerate(dialogue["turns"]):
        expect = turn["expect"]
        if given_card and expect.get("part") and (context is None or context.topic != expect.get("topic")):
            context = ChatContext(topic=expect["topic"], candidates=(expect["topic"],), lang=dialogue["lang"])
        read = replies.reply(turn["text"], context)
        context = read.context
        reply = read.replies[-1] if expect.get("part") else read.replies[0]
        outcomes.append(
            {
                "dialogue": dialogue["id"],
                "turn": number,
                "kind": kind_of(number, expect),
                "lang": dialogue.get("lang", "?"),
                "style": dialogue.get("style", "?"),
                "part": expect.get("part"),
                "right": turn_right(expect, reply),
                "text": turn["text"],
                "expect": expect,
                "got": {
                    "action": reply.action,
                    "topic": reply.topic,
                    "part": reply.part,
                    "reason": reply.reason,
                },
            }
        )
    return outcomes


def _rate(outcomes: list[dict[str, Any]]) -> dict[str, Any]:
    return {"n": len(outcomes), "right": round(sum(o["right"] for o in outcomes) / len(outcomes), 3)}


def evaluate_dialogues(helpdesk: Helpdesk, dialogues: list[dict[str, Any]]) -> dict[str, Any]:
    replies = ContextualReplies(helpdesk)
    report: dict[str, Any] = {}
    for name, given in (("served", False), ("given_card", True)):
        outcomes = [o for d in dialogues for o in run_dialogue(replies, d, given)]
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for o in outcomes:
            groups[f"kind:{o['kind']}"].append(o)
            if o["kind"] == "follow-up":
                groups["follow-up"].append(o)
                groups[f"follow-up:{o['lang']}"].append(o)
                groups[f"follow-up:part:{o['part']}"].append(o)
                groups[f"follow-up:style:{o['style']}"].append(o)
        report[name] = {
            "turns": _rate(outcomes),
            **{key: _rate(group) for key, group in sorted(groups.items())},
            "misses": [o for o in outcomes if not o["right"]],
        }
    return report


def format_dialogue_report(report: dict[str, Any]) -> str:
    lines = ["| group | n | served | given the right card |", "|---|---|---|---|"]
    served, given = report["served"], report["given_card"]
    for key, value in served.items():
        if key == "misses":
            continue
        lines.append(f"| {key} | {value['n']} | {value['right']:.3f} | {given[key]['right']:.3f} |")
    misses = served["misses"]
    if misses:
        lines += ["", f"{len(misses)} turns missed (served):"]
        lines += [
            f"- {m['dialogue']}#{m['turn']} {m['text']!r}: expected {m['expect']}, got {m['got']}"
            for m in misses
        ]
    return "\n".join(lines)
