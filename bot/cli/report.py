"""``helpdesk report``: tickets, knowledge gaps, usage and operators' drafts from the database."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import asdict
from pathlib import Path

import click

from bot.cli.common import _settings, _store
from retrieval.embedders import make_embedder


@click.group()
def report() -> None:
    """Reports from the helpdesk's database.

    Example: helpdesk report tickets --state open
    """


def _minutes(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds / 60:.0f} min"


@report.command("tickets")
@click.option(
    "--state", type=click.Choice(["open", "claimed", "closed", "all"]), default="all", show_default=True
)
@click.pass_context
def report_tickets(ctx: click.Context, state: str) -> None:
    """Open, claimed and closed tickets with how long citizens waited.

    Example: helpdesk report tickets --state open
    """
    import time

    from bot.cases.tickets import Tickets

    store = _store(ctx)
    states = ("open", "claimed", "closed") if state == "all" else (state,)
    rows = Tickets(store).all(states)
    now = time.time()
    click.echo("| # | state | lang | sector | reason | operator | opened | waited for a person | rating |")
    click.echo("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        waited = (
            (r.claimed_at or (now if r.state == "open" else r.closed_at or now)) - r.opened_at
            if r.opened_at
            else None
        )
        opened = dt.datetime.fromtimestamp(r.opened_at).strftime("%Y-%m-%d %H:%M") if r.opened_at else "–"
        click.echo(
            f"| {r.id} | {r.state} | {r.lang} | {r.sector or '–'} | {r.reason} | "
            f"{r.operator_name or '–'} | {opened} | {_minutes(waited)} | {r.rating or '–'} |"
        )
    counts = Counter(r.state for r in rows)
    click.echo(f"\n{len(rows)} tickets: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    store.close()


@report.command("gaps")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="Only questions from this day on.")
@click.option("--format", "fmt", type=click.Choice(["md", "csv"]), default="md", show_default=True)
@click.option("--distance", default=0.15, show_default=True, help="How alike questions must be to group.")
@click.pass_context
def report_gaps(ctx: click.Context, since, fmt: str, distance: float) -> None:
    """Questions that ended in handoff, clarify, 👎 or out of scope, grouped, largest group first.

    Example: helpdesk report gaps --since 2026-11-01 --format csv
    """
    from bot.cases.tickets import Tickets
    from bot.reports import cluster_questions, gap_questions, gaps_csv, gaps_markdown, referred_services

    settings = _settings(ctx)
    store = _store(ctx)
    questions = gap_questions(store, since.date() if since else None)
    clusters = cluster_questions(questions, make_embedder(settings.embedder), distance)
    services = referred_services(store, since.date() if since else None)
    click.echo(
        gaps_csv(clusters, services)
        if fmt == "csv"
        # The report formats rows; it stays a function of plain dicts.
        else gaps_markdown(clusters, [asdict(d) for d in Tickets(store).drafts()], services)
    )
    store.close()


@report.command("usage")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="Only from this day on.")
@click.option("--png", type=click.Path(dir_okay=False, path_type=Path), help="Also draw a chart here.")
@click.pass_context
def report_usage(ctx: click.Context, since, png: Path | None) -> None:
    """Questions per day by action, 👍 share per topic and language, busiest topics.

    Example: helpdesk report usage --since 2026-11-01 --png usage.png
    """
    from bot.reports import usage, usage_png, usage_text

    store = _store(ctx)
    data = usage(store, since.date() if since else None)
    click.echo(usage_text(data))
    if png:
        click.echo(f"chart: {usage_png(data, png)}")
    store.close()


@report.command("drafts")
@click.pass_context
def report_drafts(ctx: click.Context) -> None:
    """Knowledge-base drafts operators made with /kb from their replies.

    Example: helpdesk report drafts
    """
    from bot.cases.tickets import Tickets

    store = _store(ctx)
    drafts = Tickets(store).drafts()
    for d in drafts:
        click.echo(f"## draft {d.id} (ticket #{d.ticket_id}, {d.lang})\nQ: {d.question}\nA: {d.answer}\n")
    click.echo(f"{len(drafts)} drafts")
    store.close()
