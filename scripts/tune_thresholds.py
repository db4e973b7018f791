"""Choose the fusion calibration and the policy thresholds on a labelled file, and show the trade-off.

Usage:  python scripts/tune_thresholds.py ../shared/eval/dev.jsonl [--top 15]

Each question is searched once (BM25 and dense scores kept); then a coarse grid of fusion settings
is scored by rank-1 and recall@3 over answerable items, and for the best one a grid of policy
thresholds is scored by answer accuracy against handoff rate. Copy the chosen values into the
settings (bot/config.py defaults or HELPDESK_* variables). The grid is deliberately coarse: a
small dev set rewards over-fitting a fine one.
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
from bot.evaluation import read_items, score  # noqa: E402
from bot.policy import PolicyConfig, decide  # noqa: E402
from intents.language import detect_language  # noqa: E402
from intents.rules import SMALLTALK  # noqa: E402
from retrieval.search import FusionConfig, SearchResult, is_folded_az  # noqa: E402


def collect(helpdesk: Helpdesk, items: list[dict]) -> list[tuple]:
    searcher = helpdesk.searcher
    searcher.config = replace(searcher.config, depth=len(helpdesk.kb.articles))
    rows = []
    for item in items:
        lang = detect_language(item["text"]).lang
        intent, sectors = helpdesk.intents.analyze(item["text"])
        lexical, dense = searcher.raw_scores(item["text"], "hybrid", lang)
        extra = (is_folded_az(item["text"], lang), sectors)
        rows.append((item, lang, intent, lexical, dense, extra))
    return rows


def replies_for(helpdesk: Helpdesk, rows: list[tuple], policy: PolicyConfig) -> list[dict]:
    replies = []
    for item, lang, intent, lexical, dense, (folded, sectors) in rows:
        result = (helpdesk.searcher.combine(lexical, dense, "hybrid", 5, folded, sectors)
                  if intent.intent not in SMALLTALK else None)
        result = result or SearchResult()
        decision = decide(intent, result, policy)
        replies.append({"action": decision.action, "intent": intent.intent, "lang": lang,
                        "topic": decision.topics[0] if decision.action == "answer" else None,
                        "candidates": [{"topic": h.topic, "score": h.score} for h in result.hits],
                        "latency_ms": 0.0})
    return replies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--top", type=int, default=12, help="rows of each table to print")
    args = parser.parse_args()
    settings = load_settings()
    helpdesk = Helpdesk.from_settings(settings)
    items = read_items(args.file)
    rows = collect(helpdesk, items)
    loose = PolicyConfig(answer_threshold=0.0, clarify_threshold=0.0, clarify_margin=0.0)

    fusion_rows = []
    depth = len(helpdesk.kb.articles)
    grid = itertools.product((0.3, 0.4, 0.5, 0.6), (0.0, 0.1, 0.2, 0.3, 0.4), (0.78, 0.80),
                             (0.92, 0.95), (8.0, 12.0, 20.0), (0.0, 0.1, 0.2, 0.3))
    for w, w_folded, floor, ceiling, half, sector_w in grid:
        cfg = FusionConfig(dense_weight=w, dense_weight_folded=w_folded, dense_floor=floor,
                           dense_ceiling=ceiling, bm25_half=half, sector_weight=sector_w, depth=depth)
        helpdesk.searcher.config = cfg
        m = score(items, replies_for(helpdesk, rows, loose))
        fusion_rows.append((m["all"]["rank_top1"], m["all"]["recall_at_3"],
                            m.get("az-folded", m["all"])["rank_top1"], cfg))
    fusion_rows.sort(key=lambda r: (r[0], r[1], r[2]), reverse=True)
    print("fusion: rank-1  R@3    folded-rank-1  dense_w  dense_w_folded  floor  ceiling  bm25_half  sector_w")
    for top1, r3, folded1, c in fusion_rows[: args.top]:
        print(f"        {top1:.3f}  {r3:.3f}  {folded1:.3f}          {c.dense_weight:<7}  "
              f"{c.dense_weight_folded:<14}  {c.dense_floor:<5}  {c.dense_ceiling:<7}  "
              f"{c.bm25_half:<9}  {c.sector_weight}")
    helpdesk.searcher.config = fusion_rows[0][3]

    policy_rows = []
    for answer_t, clarify_t, margin, oos_t in itertools.product(
            (0.30, 0.35, 0.40, 0.45, 0.50, 0.55, 0.60), (0.20, 0.25, 0.30, 0.35, 0.40),
            (0.0, 0.01, 0.02, 0.03, 0.05), (0.4, 0.5, 0.6, 0.7)):
        if clarify_t > answer_t:
            continue
        policy = PolicyConfig(answer_threshold=answer_t, clarify_threshold=clarify_t,
                              clarify_margin=margin, out_of_scope_threshold=oos_t)
        replies = replies_for(helpdesk, rows, policy)
        m = score(items, replies)["all"]
        handoff_rate = sum(r["action"] == "handoff" for r in replies) / len(replies)
        policy_rows.append((m["answer_top1"], m["handoff_recall"] or 0, m["handoff_precision"] or 0,
                            handoff_rate, answer_t, clarify_t, margin, oos_t))
    # Answer accuracy first, then catching handoffs, then precision of handoffs.
    policy_rows.sort(key=lambda r: (round(r[0] + 0.5 * r[1], 3), r[2], -r[6]), reverse=True)
    print("\npolicy: answer-top1  handoff-R  handoff-P  handoff-rate  answer_t  clarify_t  margin  oos_t")
    for r in policy_rows[: args.top]:
        print(f"        {r[0]:.3f}        {r[1]:.3f}      {r[2]:.3f}      {r[3]:.3f}         "
              f"{r[4]:<8}  {r[5]:<9}  {r[6]:<6}  {r[7]}")


if __name__ == "__main__":
    main()
