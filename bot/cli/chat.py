"""Asking the helpdesk from the terminal: ``ask`` (one question or stdin) and ``chat``."""

from __future__ import annotations

import json
import sys

import click

from bot.cli.common import _helpdesk


@click.command()
@click.argument("text", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the JSON contract of DESIGN.md.")
@click.option("--lang", type=click.Choice(["az", "ru", "en"]), help="Answer in this language.")
@click.pass_context
def ask(ctx: click.Context, text: str | None, as_json: bool, lang: str | None) -> None:
    """Answer one question, or one question per line of standard input.

    With no TEXT, every line of standard input is a question (empty lines too) and one answer
    is printed per line; the model loads once.

    Example: echo "как проверить пенсионный счёт?" | helpdesk ask --json
    """
    helpdesk = _helpdesk(ctx)
    questions = [text] if text is not None else (line.rstrip("\r\n") for line in sys.stdin)
    for question in questions:
        reply = helpdesk.reply(question, lang_hint=lang)
        if as_json:
            click.echo(json.dumps(reply.to_json_dict(), ensure_ascii=False))
        else:
            _print_reply(reply)


def _print_reply(reply) -> None:
    service = f" · service {reply.service}" if reply.service else ""
    click.secho(
        f"[{reply.action} · {reply.intent} · {reply.lang}{service} · "
        f"confidence {reply.confidence:.2f} · {reply.latency_ms:.0f} ms]",
        fg="cyan",
    )
    click.echo(reply.answer)
    for link in reply.links:
        click.secho(f"🔗 {link['title']}: {link['url']}", fg="blue")
    if reply.candidates:
        shown = ", ".join(f"{c['topic']} {c['score']:.2f}" for c in reply.candidates[:3])
        click.secho(f"candidates: {shown}", dim=True)


@click.command()
@click.option("--lang", type=click.Choice(["az", "ru", "en"]), help="Answer in this language.")
@click.pass_context
def chat(ctx: click.Context, lang: str | None) -> None:
    """Talk to the helpdesk in the terminal (an empty line or Ctrl-D ends it). Follow-ups such as
    "how much is it?" are answered from the card just shown, as in the bot.

    Example: helpdesk chat --lang ru
    """
    from bot.context import ContextualReplies

    helpdesk = _helpdesk(ctx)
    replies, context = ContextualReplies(helpdesk), None  # follow-ups refer to the last card
    click.echo("Citizen helpdesk — ask in Azerbaijani, Russian or English. Empty line or Ctrl-D to quit.")
    while True:
        try:
            question = input("you> ")
        except (EOFError, KeyboardInterrupt):
            click.echo()
            break
        if not question.strip():
            break
        read = replies.reply(question, context, lang_hint=lang)
        context = read.context
        for reply in read.replies:
            _print_reply(reply)
            click.echo()
