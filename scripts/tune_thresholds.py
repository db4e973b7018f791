"""Choose the fusion calibration and the policy thresholds on a labelled file, and show the trade-off.

Usage:  python scripts/tune_thresholds.py ../shared/eval/dev.jsonl ../shared/eval/dev_v2.jsonl [--top 15]

Each question is observed once by the served pipeline (``Helpdesk.observe``: intent, sector, BM25
and dense scores); every grid point is then decided by the served ``Helpdesk.reply_from``, so the
figures are those of the bot. A coarse grid of fusion settings is scored by rank-1 and recall@3
over answerable items; for the best one a grid of policy and answerability thresholds is scored
by answer accuracy against the wrong-card rate on ``no_card`` items and handoff recall. Copy the
chosen values into the settings (bot/config.py defaults or HELPDESK_* variables). The grid is
deliberately coarse: a small dev set rewards over-fitting a fine one.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.config import load_settings  # noqa: E402
from bot.dialogue import Helpdesk  # noqa: E402
from bot.policy import PolicyConfig  # noqa: E402
from bot.tools.evaluation import read_items, score  # noqa: E402
from retrieval.search import FusionConfig  # noqa: E402


def collect(helpdesk: Helpdesk, items: list[dict]) -> list:
    """Each question observed once by the served pipeline (search always run, for replays)."""
    return [helpdesk.observe(item["text"], always_search=True) for item in items]


def replies_for(helpdesk: Helpdesk, observations: list, policy: PolicyConfig) -> list[dict]:
    """The served decision (``Helpdesk.reply_from``) under ``policy``, in the ``ask --json`` form."""
    return [helpdesk.reply_from(obs, policy).to_json_dict() for obs in observations]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", type=Path, nargs="+", help="labelled files, scored together")
    parser.add_argument("--top", type=int, default=12, help="rows of each table to print")
    args = parser.parse_args()
    settings = load_settings()
    helpdesk = Helpdesk.from_settings(settings)
    items = [item for path in args.files for item in read_items(path)]
    # The depth must reach every document so that no fusion setting misses one that was cut.
    helpdesk.searcher.config = FusionConfig(
        **{**helpdesk.searcher.config.__dict__, "depth": len(helpdesk.searcher.index.meta.article_ids)}
    )
    rows = collect(helpdesk, items)
    loose = PolicyConfig(answer_threshold=0.0, clarify_threshold=0.0, clarify_margin=0.0, refer_threshold=1.0)

    fusion_rows = []
    depth = helpdesk.searcher.config.depth
    grid = itertools.product(
        (0.3, 0.4, 0.5, 0.6),
        (0.0, 0.1, 0.2, 0.3, 0.4),
        (0.78, 0.80),
        (0.92, 0.95),
        (8.0, 12.0, 20.0),
        (0.0, 0.1, 0.2, 0.3),
    )
    for w, w_folded, floor, ceiling, half, sector_w in grid:
        cfg = FusionConfig(
            dense_weight=w,
            dense_weight_folded=w_folded,
            dense_floor=floor,
            dense_ceiling=ceiling,
            bm25_half=half,
            sector_weight=sector_w,
            depth=depth,
        )
        helpdesk.searcher.config = cfg
        m = score(items, replies_for(helpdesk, rows, loose))
        fusion_rows.append(
            (m["all"]["rank_top1"], m["all"]["recall_at_3"], m.get("az-folded", m["all"])["rank_top1"], cfg)
        )
    fusion_rows.sort(key=lambda r: (r[0], r[1], r[2]), reverse=True)
    print(
        "fusion: rank-1  R@3    folded-rank-1  dense_w  dense_w_folded  floor  ceiling  bm25_half  sector_w"
    )
    for top1, r3, folded1, c in fusion_rows[: args.top]:
        print(
            f"        {top1:.3f}  {r3:.3f}  {folded1:.3f}          {c.dense_weight:<7}  "
            f"{c.dense_weight_folded:<14}  {c.dense_floor:<5}  {c.dense_ceiling:<7}  "
            f"{c.bm25_half:<9}  {c.sector_weight}"
        )
    helpdesk.searcher.config = fusion_rows[0][3]

    policy_rows = []
    base = helpdesk.policy
    for answer_t, clarify_t, refer_t, service_m, answerable in itertools.product(
        (0.40, 0.45, 0.50, 0.55),
        (0.30, 0.35, 0.40),
        (0.25, 0.30, 0.35, 0.40, 0.45),
        (-0.10, -0.05, 0.0, 0.05),
        (0.0, 0.2, 0.3, 0.4, 0.5),
    ):
        if clarify_t > answer_t:
            continue
        # Every other field (intent thresholds, the weak-handoff rule) is the served one.
        policy = replace(
            base,
            answer_threshold=answer_t,
            clarify_threshold=clarify_t,
            refer_threshold=refer_t,
            service_margin=service_m,
            min_answerable=answerable,
        )
        m = score(items, replies_for(helpdesk, rows, policy))["all"]
        policy_rows.append(
            (
                m["answer_top1"] or 0,
                m["wrong_card_rate"],
                m["handoff_recall"] or 0,
                m["handoff_precision"] or 0,
                policy,
            )
        )
    # Few wrong cards first (a wrong card is worse than none), then right answers, then handoffs.
    policy_rows.sort(key=lambda r: (round(r[0] - 2 * (r[1] or 0), 3), r[2], r[3]), reverse=True)
    print(
        "\npolicy: answer-top1  wrong-card  handoff-R  handoff-P  answer_t  clarify_t  refer_t  "
        "service_margin  min_answerable"
    )
    for top1, wrong, rec, prec, p in policy_rows[: args.top]:
        wrong_text = "–" if wrong is None else f"{wrong:.3f}"
        print(
            f"        {top1:.3f}        {wrong_text:<10}  {rec:.3f}      {prec:.3f}      "
            f"{p.answer_threshold:<8}  {p.clarify_threshold:<9}  {p.refer_threshold:<7}  "
            f"{p.service_margin:<14}  {p.min_answerable}"
        )


if __name__ == "__main__":
    main()
