"""Running the bot and looking after it: ``serve``, ``doctor``, ``purge``, ``backup``."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import click

from bot.cli.common import _settings, _store
from bot.config import ConfigError


@click.command()
@click.option(
    "--log-level", default="INFO", show_default=True, type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"])
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    help="Webhook worker processes sharing the port (default: HELPDESK_WORKERS, 1).",
)
@click.option(
    "--worker-index", type=click.IntRange(0, 63), hidden=True, help="Run as that one of the workers."
)
@click.pass_context
def serve(ctx: click.Context, log_level: str, workers: int | None, worker_index: int | None) -> None:
    """Run the Telegram bot: long polling, or a webhook when HELPDESK_WEBHOOK_URL is set.

    Needs HELPDESK_BOT_TOKEN; HELPDESK_TELEGRAM_API_URL points it at another Bot API server.
    With --workers N (webhook mode only) N processes share the port; this one looks after them.

    Example: HELPDESK_BOT_TOKEN=123456:ABC... helpdesk serve
    """
    from bot.ops.monitoring import setup_logging
    from bot.telegram.app import check_token, check_workers
    from bot.telegram.app import serve as run

    settings = _settings(ctx)
    if workers is not None:
        settings = settings.model_copy(update={"workers": workers})
    secrets = [s.get_secret_value() for s in (settings.bot_token, settings.webhook_secret) if s]
    if settings.redis_url is not None:  # its password, should any message quote the URL
        secrets.append(urlsplit(settings.redis_url.get_secret_value()).password or "")
    setup_logging(log_level, secrets, settings.log_json)
    check_workers(settings)
    if settings.workers == 1 or worker_index is not None:
        run(settings, worker_index or 0)
        return
    import sys

    from bot.ops.workers import Supervisor

    check_token(settings)  # the workers would each fail on it: say it once, before starting any
    if not settings.webhook_secret:
        raise ConfigError("HELPDESK_WEBHOOK_SECRET: required with HELPDESK_WEBHOOK_URL")

    def command(index: int) -> list[str]:
        return [
            sys.executable,
            "-m",
            "bot.cli",
            "serve",
            "--log-level",
            log_level,
            "--worker-index",
            str(index),
        ]

    # The workers read the same environment; --workers reaches them as HELPDESK_WORKERS.
    os.environ["HELPDESK_WORKERS"] = str(settings.workers)
    ctx.exit(Supervisor(settings.workers, command).run())


@click.command()
@click.option("--days", type=int, help="Keep this many days (default: HELPDESK_RETENTION_DAYS).")
@click.pass_context
def purge(ctx: click.Context, days: int | None) -> None:
    """Delete transcripts older than the retention period (the bot also does it at start).

    Example: helpdesk purge --days 90
    """
    store = _store(ctx)
    keep = days or _settings(ctx).retention_days
    removed = store.purge_older_than(keep)
    store.audit(None, "purge", None, f"{removed} messages older than {keep} days")
    store.close()
    click.echo(f"deleted {removed} messages older than {keep} days")


@click.command()
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def backup(ctx: click.Context, target: Path) -> None:
    """Copy the database while the bot runs, then check the copy: SQLite's online backup, or with
    HELPDESK_DATABASE_URL a pg_dump in its custom format (restore with pg_restore).

    Example: helpdesk backup /var/backups/helpdesk-2026-11-25.sqlite3
    """
    store = _store(ctx)
    try:
        result = store.backup(target)
        store.audit(None, "backup", None, str(target))
    finally:
        store.close()
    click.echo(
        f"backup {target}: integrity {result['integrity']}; users {result['users']}, "
        f"messages {result['messages']}, tickets {result['tickets']}"
    )
    if result["integrity"] != "ok":
        ctx.exit(2)


@click.command()
@click.pass_context
def doctor(ctx: click.Context) -> None:
    """Check the configuration, token format, data folder, index, models; say what is wrong.

    Example: helpdesk doctor
    """
    from bot.ops.doctor import run_checks

    problems = 0
    for ok, what, detail in run_checks(_settings(ctx)):
        problems += not ok
        click.secho(f"{'ok ' if ok else 'BAD'} {what}: {detail}", fg=None if ok else "red")
    click.echo("all good" if not problems else f"{problems} problem(s)")
    if problems:
        ctx.exit(2)
