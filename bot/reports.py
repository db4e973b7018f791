"""Editors' reports from the database: what nothing answered (gaps) and how the helpdesk is used.

Everything here reads redacted text only: the store never holds a raw identifier.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bot.storage.base import Store

GAP_ACTIONS = ("handoff", "clarify")
# What the policy decides for a question, in the order the reports show them.
ACTIONS = ("answer", "clarify", "refer", "handoff", "smalltalk")


def _since_ts(since: dt.date | None) -> float:
    return dt.datetime.combine(since, dt.time()).timestamp() if since else 0.0


def gap_questions(store: Store, since: dt.date | None = None) -> list[dict]:
    """Citizens' questions that ended in handoff or clarify, were out of scope, or got a 👎."""
    rows = store.gap_messages(_since_ts(since))
    disliked = store.disliked_questions(_since_ts(since))
    seen, out = set(), []
    for row in rows + [dict(r, action="disliked") for r in disliked]:
        if row["id"] not in seen:
            seen.add(row["id"])
            out.append(row)
    return out


@dataclass
class Cluster:
    size: int
    langs: Counter
    examples: list[str]
    reasons: Counter = field(default_factory=Counter)


def cluster_questions(questions: list[dict], embedder, distance: float = 0.15) -> list[Cluster]:
    """Group similar questions (cosine distance under ``distance``), largest group first."""
    if not questions:
        return []
    texts = [q["text"] for q in questions]
    if len(texts) == 1:
        labels = np.zeros(1, dtype=int)
    else:
        from sklearn.cluster import AgglomerativeClustering

        vectors = embedder.encode_queries(texts)
        labels = AgglomerativeClustering(
            n_clusters=None, metric="cosine", linkage="average", distance_threshold=distance
        ).fit_predict(vectors)
    groups: dict[int, list[dict]] = defaultdict(list)
    for label, question in zip(labels, questions):
        groups[int(label)].append(question)
    clusters = [
        Cluster(
            size=len(g),
            langs=Counter(q["lang"] or "?" for q in g),
            examples=[q["text"] for q in g[:3]],
            reasons=Counter(q["action"] or q["intent"] for q in g),
        )
        for g in groups.values()
    ]
    return sorted(clusters, key=lambda c: -c.size)


def referred_services(store: Store, since: dt.date | None = None) -> list[tuple[str, int]]:
    """Directory services citizens were referred to (no article yet), most asked first."""
    return store.referred_services(_since_ts(since))


def gaps_markdown(
    clusters: list[Cluster], drafts: list[dict], services: list[tuple[str, int]] | None = None
) -> str:
    lines = ["# What citizens asked that nothing answered well", ""]
    if services:
        lines += [
            "# Services asked for that have no article yet (referred), most asked first",
            "",
            "| service | questions |",
            "|---|---|",
        ]
        lines += [f"| {service} | {n} |" for service, n in services] + [""]
    for number, c in enumerate(clusters, 1):
        langs = ", ".join(f"{k} {v}" for k, v in c.langs.most_common())
        reasons = ", ".join(f"{k} {v}" for k, v in c.reasons.most_common())
        lines.append(f"## {number}. {c.size} questions ({langs}; {reasons})")
        lines += [f"- {example}" for example in c.examples] + [""]
    if drafts:
        lines.append("# Operators' drafts (/kb)")
        for d in drafts:
            lines.append(f"- ticket #{d['ticket_id']} ({d['lang']}): Q: {d['question']} — A: {d['answer']}")
    return "\n".join(lines)


def gaps_csv(clusters: list[Cluster], services: list[tuple[str, int]] | None = None) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["cluster", "size", "az", "ru", "en", "example"])
    for number, c in enumerate(clusters, 1):
        for example in c.examples:
            writer.writerow(
                [number, c.size, c.langs.get("az", 0), c.langs.get("ru", 0), c.langs.get("en", 0), example]
            )
    for service, n in services or []:  # referred services: "service:<id>" in the cluster column
        writer.writerow([f"service:{service}", n, "", "", "", ""])
    return buffer.getvalue()


def usage(store: Store, since: dt.date | None = None, until: dt.date | None = None) -> dict:
    """Questions per day and action, 👍 share per topic and language, busiest topics and languages;
    from ``since`` to ``until`` (both days included; open-ended when None)."""
    end = _since_ts(until + dt.timedelta(days=1)) if until else float("inf")
    rows = [r for r in store.usage_messages(_since_ts(since)) if r["created_at"] < end]
    per_day: dict[str, Counter] = defaultdict(Counter)
    topics: Counter = Counter()
    langs: Counter = Counter(r["lang"] or "?" for r in rows)
    for r in rows:
        day = dt.date.fromtimestamp(r["created_at"]).isoformat()
        per_day[day][r["action"]] += 1
        if r["topic"] and r["action"] != "refer":  # a refer's topic is a directory service
            topics[r["topic"]] += 1
    votes: dict[tuple, list[int]] = defaultdict(list)
    for f in store.feedback_votes(_since_ts(since)):
        if f.get("created_at", 0.0) >= end:
            continue
        votes[(f["topic"], f["lang"])].append(f["helpful"])
    return {
        "questions": len(rows),
        "per_day": {day: dict(c) for day, c in sorted(per_day.items())},
        "busiest_topics": topics.most_common(10),
        "languages": langs.most_common(),
        "thumbs_up_share": {
            f"{topic} / {lang}": round(sum(v) / len(v), 2)
            for (topic, lang), v in sorted(votes.items(), key=lambda kv: str(kv[0]))
        },
    }


def usage_text(report: dict) -> str:
    lines = [
        f"{report['questions']} questions",
        "",
        "| day | answer | clarify | refer | handoff | smalltalk |",
        "|---|---|---|---|---|---|",
    ]
    for day, c in report["per_day"].items():
        lines.append(
            f"| {day} | {c.get('answer', 0)} | {c.get('clarify', 0)} | {c.get('refer', 0)} | "
            f"{c.get('handoff', 0)} | {c.get('smalltalk', 0)} |"
        )
    lines += ["", "busiest topics: " + (", ".join(f"{t} {n}" for t, n in report["busiest_topics"]) or "none")]
    lines += [
        "👍 share: " + (", ".join(f"{k} {v:.0%}" for k, v in report["thumbs_up_share"].items()) or "no votes")
    ]
    return "\n".join(lines)


def usage_png(report: dict, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")  # no screen needed
    import matplotlib.pyplot as plt

    days = list(report["per_day"])
    fig, (daily, busiest) = plt.subplots(1, 2, figsize=(12, 4.5))
    bottom = np.zeros(len(days))
    for action, colour in (
        ("answer", "#2e7d32"),
        ("clarify", "#f9a825"),
        ("refer", "#6a1b9a"),
        ("handoff", "#c62828"),
        ("smalltalk", "#90a4ae"),
    ):
        values = np.array([report["per_day"][d].get(action, 0) for d in days], dtype=float)
        daily.bar(days, values, bottom=bottom, label=action, color=colour)
        bottom += values
    daily.set_title("Questions per day")
    daily.legend()
    daily.tick_params(axis="x", rotation=45)
    names = [t for t, _ in report["busiest_topics"]][::-1]
    busiest.barh(names, [n for _, n in report["busiest_topics"]][::-1], color="#1565c0")
    busiest.set_title("Busiest topics")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return Path(path)
