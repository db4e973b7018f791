"""The ``helpdesk`` command: chat, ask, kb (check/build/stats), eval, bench.

This module builds the top-level group; the commands live in one module per group: ``chat`` (ask, chat),
``kb``, ``intents``, ``report``, ``serve`` (serve, doctor, purge, backup), ``staff`` (the console's
accounts), ``console`` and ``tools`` (eval, bench).
"""

from __future__ import annotations

import click

from bot.cli import chat, console, intents, kb, report, serve, staff, tools
from bot.config import ConfigError
from bot.storage import StoreUnavailable
from intents.classifier import IntentModelError
from knowledge.loader import ArticleError
from retrieval.embedders import ModelMissingError
from retrieval.index import IndexMissingError, IndexStaleError

# Errors a user can fix; each is printed as one line with what to run, never a traceback.
USER_ERRORS = (
    ConfigError,
    ArticleError,
    ModelMissingError,
    IndexMissingError,
    IndexStaleError,
    IntentModelError,
    StoreUnavailable,
)


class HelpdeskGroup(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except USER_ERRORS as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(2)


@click.group(cls=HelpdeskGroup)
@click.version_option(package_name="citizen-helpdesk")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Citizen helpdesk for Azerbaijan's electronic state services.

    Example: helpdesk ask "vergi borcumu nece yoxlayim?"
    """
    ctx.ensure_object(dict)


for _command in (
    chat.ask,
    chat.chat,
    kb.kb,
    serve.serve,
    serve.purge,
    serve.backup,
    serve.doctor,
    report.report,
    console.console,
    intents.intents,
    tools.eval_command,
    tools.bench,
    staff.staff,
):
    main.add_command(_command)
