"""The dashboard's figures for a date range, and the inline SVG bars that draw them.

The counting is the editors' usage report's (:func:`bot.reports.usage`), bounded at both ends; the
tickets' waits are the ones ``helpdesk report tickets`` prints.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bot.reports import ACTIONS, usage
from bot.storage.base import Store

# One colour per action; each is at least 4.5:1 against the white page (WCAG AA for text and marks).
ACTION_COLOURS = {
    "answer": "#1b5e20",
    "clarify": "#8a5a00",
    "refer": "#6a1b9a",
    "handoff": "#b71c1c",
    "smalltalk": "#455a64",
}


def day_bounds(start: dt.date, end: dt.date) -> tuple[float, float]:
    """Epoch seconds from the start of ``start`` to the end of ``end`` (local time, as the reports)."""
    since = dt.datetime.combine(start, dt.time()).timestamp()
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time()).timestamp()
    return since, until


def percentile(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile (``share`` in 0..1); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, round(share * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass
class Figures:
    start: dt.date
    end: dt.date
    questions: int = 0
    per_day: dict[str, dict[str, int]] = field(default_factory=dict)
    answered_share: float | None = None
    handed_off_share: float | None = None
    thumbs_down_share: float | None = None
    votes: int = 0
    open_tickets: int = 0
    claimed_tickets: int = 0
    median_wait: float | None = None  # seconds from opened to claimed
    p90_wait: float | None = None
    csat: float | None = None  # mean rating, 1..5
    ratings: int = 0
    busiest_topics: list[tuple[str, int]] = field(default_factory=list)
    languages: list[tuple[str, int]] = field(default_factory=list)


def figures(store: Store, start: dt.date, end: dt.date) -> Figures:
    since, until = day_bounds(start, end)
    report = usage(store, start, end)
    out = Figures(start, end, questions=report["questions"], per_day=report["per_day"])
    totals: Counter[str] = Counter()
    for counts in report["per_day"].values():
        totals.update(counts)
    if out.questions:
        out.answered_share = totals["answer"] / out.questions
        out.handed_off_share = totals["handoff"] / out.questions
    out.busiest_topics = report["busiest_topics"]
    out.languages = report["languages"]
    votes = [v for v in store.feedback_votes(since) if v.get("created_at", since) < until]
    out.votes = len(votes)
    if votes:
        out.thumbs_down_share = sum(not v["helpful"] for v in votes) / len(votes)
    out.open_tickets = len(store.tickets_in(("open",)))
    out.claimed_tickets = len(store.tickets_in(("claimed",)))
    handled = [
        t for t in store.tickets_in(("claimed", "closed")) if t.opened_at and since <= t.opened_at < until
    ]
    waits = [t.claimed_at - t.opened_at for t in handled if t.claimed_at and t.opened_at]
    if waits:
        out.median_wait = statistics.median(waits)
        out.p90_wait = percentile(waits, 0.9)
    ratings = [t.rating for t in handled if t.rating]
    out.ratings = len(ratings)
    if ratings:
        out.csat = sum(ratings) / len(ratings)
    return out


def figures_csv(data: Figures) -> str:
    """The per-day table, then the range's totals, for a spreadsheet."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["day", *ACTIONS])
    for day, counts in data.per_day.items():
        writer.writerow([day, *(counts.get(a, 0) for a in ACTIONS)])
    writer.writerow([])
    for name in (
        "questions",
        "answered_share",
        "handed_off_share",
        "thumbs_down_share",
        "open_tickets",
        "claimed_tickets",
        "median_wait",
        "p90_wait",
        "csat",
    ):
        value = getattr(data, name)
        writer.writerow(
            [name, "" if value is None else (round(value, 3) if isinstance(value, float) else value)]
        )
    return buffer.getvalue()


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    label: str  # what a screen reader and the tooltip say


def stacked_day_bars(
    per_day: dict[str, dict[str, int]], width: int = 640, height: int = 200
) -> dict[str, Any]:
    """Stacked bars per day (one segment per action), scaled into a ``width`` x ``height`` box."""
    days = list(per_day)
    peak = max((sum(c.values()) for c in per_day.values()), default=0) or 1
    slot = width / max(len(days), 1)
    bars: list[Bar] = []
    for number, day in enumerate(days):
        top = float(height)
        for action in ACTIONS:
            count = per_day[day].get(action, 0)
            if not count:
                continue
            tall = count / peak * height
            top -= tall
            bar_width = min(slot * 0.7, 48.0)  # one day alone is a bar, not a wall
            bars.append(
                Bar(
                    number * slot + (slot - bar_width) / 2,
                    top,
                    bar_width,
                    tall,
                    ACTION_COLOURS[action],
                    f"{day} {action} {count}",
                )
            )
    return {"width": width, "height": height, "bars": bars, "days": days, "slot": slot}


def ranked_bars(items: list[tuple[str, int]], width: int = 300, row: int = 22) -> dict[str, Any]:
    """Horizontal bars for a ranking (topics, languages), longest first."""
    peak = max((n for _, n in items), default=0) or 1
    bars = [
        Bar(0, number * row, max(2.0, n / peak * width), row * 0.7, "#0d47a1", f"{name} {n}")
        for number, (name, n) in enumerate(items)
    ]
    return {"width": width, "height": max(row, row * len(items)), "bars": bars, "items": items}


def default_range(today: dt.date | None = None, days: int = 14) -> tuple[dt.date, dt.date]:
    end = today or dt.date.fromtimestamp(time.time())
    return end - dt.timedelta(days=days - 1), end
