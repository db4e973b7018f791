"""Measuring the helpdesk: ``eval`` (answer quality) and ``bench`` (speed)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from bot.cli.common import _helpdesk, _settings


@click.command("eval")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def eval_command(ctx: click.Context, file: Path, as_json: bool) -> None:
    """Measure answers on a labelled JSON Lines file: hybrid, BM25 alone and dense alone.

    Example: helpdesk eval ../shared/eval/dev.jsonl
    """
    from bot.tools.evaluation import evaluate, format_report, read_items

    report = evaluate(_helpdesk(ctx), read_items(file))
    click.echo(json.dumps(report, ensure_ascii=False, indent=1) if as_json else format_report(report))


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--repeat", default=1, show_default=True, help="Passes over the questions.")
@click.pass_context
def bench(ctx: click.Context, file: Path, repeat: int) -> None:
    """Time `ask` over the questions of an evaluation file and the index build.

    Example: helpdesk bench ../shared/eval/dev.jsonl --repeat 3
    """
    from bot.tools.bench import run_benchmark

    settings = _settings(ctx)
    click.echo(run_benchmark(settings, file, repeat))
