"""Measuring the helpdesk: ``eval`` (answer quality) and ``bench`` (speed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import cast

import click

from bot.cli.common import _helpdesk, _settings


@click.command("eval")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--dialogues",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Measure conversations instead: a JSON Lines file of dialogues with expected turns.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def eval_command(ctx: click.Context, file: Path | None, dialogues: Path | None, as_json: bool) -> None:
    """Measure answers on a labelled JSON Lines file: hybrid, BM25 alone and dense alone; or,
    with --dialogues, follow-ups, repairs and typed choices turn by turn.

    Example: helpdesk eval ../shared/eval/dev.jsonl
    Example: helpdesk eval --dialogues eval/dialogues.jsonl
    """
    if (file is None) == (dialogues is None):
        raise click.UsageError("give either FILE or --dialogues FILE")
    if dialogues is not None:
        from bot.tools.dialogues import evaluate_dialogues, format_dialogue_report, read_dialogues

        try:
            conversations = read_dialogues(dialogues)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        report = evaluate_dialogues(_helpdesk(ctx), conversations)
        click.echo(
            json.dumps(report, ensure_ascii=False, indent=1) if as_json else format_dialogue_report(report)
        )
        return
    from bot.tools.evaluation import evaluate, format_report, read_items

    report = evaluate(_helpdesk(ctx), read_items(cast(Path, file)))
    click.echo(json.dumps(report, ensure_ascii=False, indent=1) if as_json else format_report(report))


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--repeat", default=1, show_default=True, help="Passes over the questions.")
@click.option("--no-build", is_flag=True, help="Skip timing a full index build (about a minute).")
@click.pass_context
def bench(ctx: click.Context, file: Path, repeat: int, no_build: bool) -> None:
    """Time `ask` over the questions of an evaluation file and the index build; then, side by side
    on the same questions, each stage (normalize, intents, encode, search, decide), the whole
    `ask` with and without the encoding overlapped, and the encoder alone.

    Example: helpdesk bench ../shared/eval/dev.jsonl --repeat 3
    """
    from bot.tools.bench import run_benchmark

    settings = _settings(ctx)
    click.echo(run_benchmark(settings, file, repeat, build=not no_build))
