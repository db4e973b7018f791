"""Supervisors' pages: the dashboard (figures, charts, CSV) and the tickets with their cases."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from aiohttp import web

from bot.cases.hours import WorkingHours
from bot.cases.model import Ticket
from bot.web.app import console_of, needs, render, session_of
from bot.web.dashboard import (
    ACTION_COLOURS,
    default_range,
    figures,
    figures_csv,
    ranked_bars,
    stacked_day_bars,
)

TICKET_STATES = ("open", "claimed", "closed")


def _date(value: str | None, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else default
    except ValueError:
        return default


def _range(request: web.Request) -> tuple[dt.date, dt.date]:
    start, end = default_range()
    start, end = _date(request.query.get("from"), start), _date(request.query.get("to"), end)
    return (end, start) if end < start else (start, end)


@needs("view_dashboard")
async def dashboard(request: web.Request) -> web.Response:
    start, end = _range(request)
    data = figures(console_of(request).store, start, end)
    return render(
        request,
        "dashboard.html",
        data=data,
        daily=stacked_day_bars(data.per_day),
        topics=ranked_bars(data.busiest_topics),
        languages=ranked_bars(data.languages),
        colours=ACTION_COLOURS,
    )


@needs("view_dashboard")
async def dashboard_csv(request: web.Request) -> web.Response:
    start, end = _range(request)
    console = console_of(request)
    console.audit(session_of(request), "console_export", what="dashboard", start=str(start), end=str(end))
    return web.Response(
        text=figures_csv(figures(console.store, start, end)),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="helpdesk-{start}-{end}.csv"'},
    )


@dataclass(frozen=True)
class TicketRow:
    ticket: Ticket
    waited: float | None  # seconds waited for a person (so far, when still open)
    breached: bool


def waited_for_person(ticket: Ticket, hours: WorkingHours, now: float) -> float | None:
    """Seconds from opening (or from the next working hour, when opened after hours) to a claim."""
    if not ticket.opened_at:
        return None
    end = ticket.claimed_at or (now if ticket.state == "open" else ticket.closed_at or now)
    opened = dt.datetime.fromtimestamp(ticket.opened_at, hours.tz)
    clock_from = hours.next_open(opened).timestamp()  # nobody is expected to answer at night
    return max(0.0, end - clock_from)


def ticket_rows(
    tickets: list[Ticket], hours: WorkingHours, sla_minutes: float, now: float
) -> list[TicketRow]:
    rows = []
    for ticket in tickets:
        waited = waited_for_person(ticket, hours, now)
        rows.append(TicketRow(ticket, waited, waited is not None and waited > sla_minutes * 60))
    return rows


@needs("view_tickets")
async def tickets(request: web.Request) -> web.Response:
    console = console_of(request)
    state = request.query.get("state", "")
    operator = request.query.get("operator", "")
    start = _date(request.query.get("from"), dt.date(1970, 1, 2))
    end = _date(request.query.get("to"), dt.date.fromtimestamp(time.time()))
    all_tickets = console.store.tickets_in(TICKET_STATES)
    operators = sorted({t.operator_name for t in all_tickets if t.operator_name})
    since = dt.datetime.combine(start, dt.time()).timestamp()
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time()).timestamp()
    chosen = [
        t
        for t in all_tickets
        if (not state or t.state == state)
        and (not operator or t.operator_name == operator)
        and since <= (t.opened_at or t.created_at) < until
    ]
    chosen.sort(key=lambda t: (t.state != "open", -(t.opened_at or t.created_at)))
    rows = ticket_rows(
        chosen, console.settings.working_hours(), console.settings.handoff_timeout_minutes, time.time()
    )
    return render(
        request,
        "tickets.html",
        rows=rows,
        states=TICKET_STATES,
        operators=operators,
        chosen_state=state,
        chosen_operator=operator,
        start=request.query.get("from", ""),
        end=request.query.get("to", ""),
        sla_minutes=console.settings.handoff_timeout_minutes,
    )


@needs("view_tickets")
async def ticket_page(request: web.Request) -> web.Response:
    console = console_of(request)
    try:
        ticket = console.store.ticket(int(request.match_info["ticket_id"]))
    except ValueError:
        ticket = None
    if ticket is None:
        raise web.HTTPNotFound()
    # A case's transcript is a citizen's conversation: who read it is worth a row.
    console.audit(session_of(request), "console_view_case", ticket.id)
    messages = console.store.messages(ticket.user_id)
    relays = console.store.relays(ticket.id)
    (row,) = ticket_rows(
        [ticket], console.settings.working_hours(), console.settings.handoff_timeout_minutes, time.time()
    )
    return render(request, "ticket.html", row=row, ticket=ticket, messages=messages, relays=relays)


def register(router: web.UrlDispatcher) -> None:
    router.add_get("/dashboard", dashboard)
    router.add_get("/dashboard.csv", dashboard_csv)
    router.add_get("/tickets", tickets)
    router.add_get("/tickets/{ticket_id}", ticket_page)
