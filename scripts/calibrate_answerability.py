"""Fit the answerability model on labelled questions, through the served pipeline.

Usage:  python scripts/calibrate_answerability.py eval/tuning.jsonl eval/tuning2.jsonl [--out PATH]

Each question is observed by ``Helpdesk.observe`` and assessed by ``Helpdesk.assess`` — the same
steps the bot serves — and its :class:`~retrieval.answerability.Evidence` is labelled 1 when an
answer card for the best article would be right (an ``answer`` item whose expected topic is the
best article) and 0 when it would be wrong (a ``no_card`` item, or the best article is not the
expected one). Handoff and smalltalk items are left out: the intent decides those. Fit on our own
tuning file, never on the dev sets (they measure how well it generalises); then choose
``HELPDESK_MIN_ANSWERABLE`` with ``scripts/tune_thresholds.py`` on the dev sets.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.config import load_settings  # noqa: E402
from bot.dialogue import Helpdesk  # noqa: E402
from bot.tools.evaluation import read_items  # noqa: E402
from retrieval.answerability import DEFAULT_MODEL, AnswerabilityModel, Evidence  # noqa: E402


def labelled_evidence(helpdesk: Helpdesk, items: list[dict]) -> tuple[list[Evidence], list[int]]:
    samples, labels = [], []
    for item in items:
        action = item["expect"]["action"]
        if action not in ("answer", "no_card"):
            continue
        result, _coverage, ev = helpdesk.assess(helpdesk.observe(item["text"], always_search=True))
        if result.top is None:
            continue
        samples.append(ev)
        labels.append(int(action == "answer" and result.top.topic == item["expect"].get("topic")))
    return samples, labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", type=Path, nargs="+")
    parser.add_argument("--out", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--c", type=float, default=1.0, help="inverse regularisation strength")
    args = parser.parse_args()
    helpdesk = Helpdesk.from_settings(load_settings())
    samples, labels = [], []
    for path in args.files:
        s, lab = labelled_evidence(helpdesk, read_items(path))
        samples += s
        labels += lab
    model = AnswerabilityModel.fit(samples, labels, args.c, fitted_on=", ".join(p.name for p in args.files))
    model.save(args.out)
    print(f"fitted on {len(labels)} questions ({sum(labels)} answerable) → {args.out}")
    for name, weight in zip(Evidence._fields, model.weights):
        print(f"  {name:<22} {weight:+.3f}")


if __name__ == "__main__":
    main()
