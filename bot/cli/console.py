"""``helpdesk console``: the staff console on its own (``serve`` runs it too when a port is set)."""

from __future__ import annotations

import click

from bot.cli.common import _settings, _store

DEFAULT_PORT = 8081


@click.command()
@click.option(
    "--host", default=None, help="Address to listen on (default: HELPDESK_CONSOLE_HOST, 127.0.0.1)."
)
@click.option(
    "--port", type=int, default=None, help=f"Port (default: HELPDESK_CONSOLE_PORT, else {DEFAULT_PORT})."
)
@click.option(
    "--log-level", default="INFO", show_default=True, type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"])
)
@click.pass_context
def console(ctx: click.Context, host: str | None, port: int | None, log_level: str) -> None:
    """Run the staff web console: dashboard, tickets, gaps, knowledge review.

    Log in with an account from `helpdesk staff add`. The knowledge base and index are loaded on
    the first page that needs them (the card preview, gaps, reload).

    Example: helpdesk console --port 8081
    """
    from aiohttp import web

    from bot.ops.monitoring import setup_logging
    from bot.serving import HelpdeskRef
    from bot.web.app import console_app
    from bot.wiring import build_helpdesk

    settings = _settings(ctx)
    setup_logging(log_level, [], settings.log_json)
    store = _store(ctx)
    app = console_app(settings, store, lambda: HelpdeskRef(build_helpdesk(settings)))
    bind, listen = host or settings.console_host, port or settings.console_port or DEFAULT_PORT
    click.echo(f"staff console on http://{bind}:{listen}/ (Ctrl-C stops it)")
    try:
        web.run_app(app, host=bind, port=listen, print=None, access_log=None)
    finally:
        store.close()
