"""Helpers every command group shares: the settings, the helpdesk, the store, the audit."""

from __future__ import annotations

import click

from bot.config import Settings, load_settings


def _settings(ctx: click.Context) -> Settings:
    if "settings" not in ctx.obj:
        ctx.obj["settings"] = load_settings()
    return ctx.obj["settings"]


def _audit(ctx: click.Context, action: str, detail: str) -> None:
    """Editors' and admins' actions go to the audit table, with the system user as the actor."""
    import getpass

    from bot.wiring import open_store

    store = open_store(_settings(ctx))
    try:
        store.audit(None, action, None, f"{getpass.getuser()}: {detail}")
    finally:
        store.close()


def _helpdesk(ctx: click.Context):
    from bot.wiring import build_helpdesk

    if "helpdesk" not in ctx.obj:
        ctx.obj["helpdesk"] = build_helpdesk(_settings(ctx))
    return ctx.obj["helpdesk"]


def _store(ctx: click.Context):
    from bot.wiring import open_store

    return open_store(_settings(ctx))
