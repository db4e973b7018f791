"""``helpdesk kb``: check, write, import, build, review and describe the knowledge base."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from pathlib import Path
from typing import cast

import click

from bot.cli.common import _audit, _settings
from bot.wiring import check_index, knowledge_base
from knowledge.loader import LANGS
from retrieval.embedders import make_embedder
from retrieval.index import (
    BuildReport,
    IndexMissingError,
    IndexStaleError,
    build_index,
    count_chunks,
    read_meta,
    save_index,
)


@click.group()
def kb() -> None:
    """Check, build and describe the knowledge base.

    Example: helpdesk kb check
    """


@kb.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.option(
    "--similarity/--no-similarity",
    default=True,
    show_default=True,
    help="Compare articles with the embedder to find ones too alike to tell apart.",
)
@click.pass_context
def kb_check(ctx: click.Context, as_json: bool, similarity: bool) -> None:
    """List every broken article (file:line and a fix) and every warning.

    Exits 2 when an article is refused; warnings alone exit 0.

    Example: helpdesk kb check --json
    """
    from knowledge.check import check_all

    settings = _settings(ctx)
    embedder = make_embedder(settings.embedder) if similarity else None
    knowledge, findings = check_all(
        settings.articles_dir,
        settings.coverage_file,
        tuple(settings.official_domains),
        settings.kb_max_age_days,
        embedder,
    )
    errors = [f for f in findings if f.level == "error"]
    if as_json:
        click.echo(
            json.dumps(
                {
                    "articles": len(knowledge.articles) if knowledge else 0,
                    "services": len(knowledge.directory.entries) if knowledge else 0,
                    "findings": [f.as_dict() for f in findings],
                },
                ensure_ascii=False,
                indent=1,
            )
        )
    else:
        for finding in findings:
            click.secho(f"{finding.level}: {finding}", fg="red" if finding.level == "error" else "yellow")
        loaded = len(knowledge.articles) if knowledge else 0
        services = len(knowledge.directory.entries) if knowledge else 0
        click.echo(
            f"{loaded} articles OK, {len(errors)} refused, {len(findings) - len(errors)} warnings; "
            f"directory: {services} services"
        )
    if errors:
        ctx.exit(2)


@kb.command("new")
@click.argument("topic")
@click.pass_context
def kb_new(ctx: click.Context, topic: str) -> None:
    """Write a skeleton article for a coverage topic, with every field and language section.

    Example: helpdesk kb new tax-debt-check
    """
    from knowledge.editing import write_skeleton

    settings = _settings(ctx)
    path = write_skeleton(settings.articles_dir, settings.coverage_file, topic)
    _audit(ctx, "kb_new", topic)
    click.echo(f"wrote {path}: fill in the TODOs, then `helpdesk kb check` and `helpdesk kb build`")


@kb.command("import")
@click.argument("sheet", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def kb_import(ctx: click.Context, sheet: Path) -> None:
    """Import a CSV or XLSX sheet (columns topic, lang, question, answer; optional title).

    A topic without an article needs an answer in az, ru and en and becomes a new article; rows
    for an existing article add example questions. A bad row stops the import with its number,
    and nothing is written.

    Example: helpdesk kb import faq.xlsx
    """
    from knowledge.editing import import_sheet

    settings = _settings(ctx)
    result = import_sheet(sheet, settings.articles_dir, settings.coverage_file)
    _audit(ctx, "kb_import", f"{sheet.name}: created {result['created']}, updated {result['updated']}")
    click.echo(
        f"{result['rows']} rows: created {', '.join(result['created']) or 'none'}; "
        f"updated {', '.join(result['updated']) or 'none'}"
    )
    click.echo("next: `helpdesk kb check`, then `helpdesk kb build`")


@kb.command("build")
@click.option("--if-stale", is_flag=True, help="Build only when the index is missing or out of date.")
@click.option("--full", is_flag=True, help="Rebuild every article's vectors, not only new and changed ones.")
@click.option(
    "--no-cache", is_flag=True, help="Send every passage to the encoder (ignore the passage cache)."
)
@click.pass_context
def kb_build(ctx: click.Context, if_stale: bool, full: bool, no_cache: bool) -> None:
    """Embed new and changed articles and save the search index (BM25 + faiss).

    Unchanged articles keep their vectors from the previous build (same embedder); --full
    rebuilds everything. A passage text already embedded by an earlier build comes from the
    passage cache (data/passage_cache) unless --no-cache; each distinct text is embedded once.

    Example: helpdesk kb build --if-stale
    """
    from retrieval.index import load_previous
    from retrieval.passage_cache import PassageCache

    settings = _settings(ctx)
    knowledge = knowledge_base(settings)
    embedder = make_embedder(settings.embedder)
    if if_stale:
        try:
            check_index(settings, knowledge, embedder)
            click.echo(f"index is up to date ({settings.index_dir})")
            return
        except (IndexMissingError, IndexStaleError) as exc:
            click.echo(f"rebuilding: {exc}")
    previous = None if full else load_previous(settings.index_dir, embedder)
    cache = None if no_cache else PassageCache.load(settings.passage_cache_dir, embedder)
    total = count_chunks(knowledge, previous)
    with click.progressbar(length=total, label=f"indexing {total} passages", file=sys.stderr) as bar:
        index = build_index(knowledge, embedder, progress=bar.update, previous=previous, cache=cache)
    save_index(index, settings.index_dir)
    if cache is not None:
        cache.save(settings.passage_cache_dir)
    report = cast(BuildReport, index.report)  # build_index always reports
    _audit(ctx, "kb_build", report.summary().splitlines()[0])
    click.echo(
        f"built {settings.index_dir}: {len(knowledge.articles)} articles, "
        f"{index.meta.chunks} passages, {embedder.name}, {index.meta.build_seconds:.1f} s"
    )
    click.echo(report.summary())


@kb.command("review")
@click.argument("article_id")
@click.option("--by", "by", required=True, help="Your name: who checked the facts against the sources.")
@click.option("--note", default=None, help="What you checked or changed (kept in the file and the audit).")
@click.pass_context
def kb_review(ctx: click.Context, article_id: str, by: str, note: str | None) -> None:
    """Record that a person reviewed an article: its review block and an audit row.

    Check every fact against the article's sources first. The file gets
    `review: {state: reviewed, by: NAME, date: TODAY}`; rebuild the index afterwards.

    Example: helpdesk kb review tax-debt-check --by "Aysel Məmmədova" --note "fees checked"
    """
    from knowledge.review import record_review

    settings = _settings(ctx)
    knowledge = knowledge_base(settings)
    article = record_review(knowledge, article_id, by, note)
    _audit(ctx, "kb_review", f"{article_id} reviewed by {by.strip()}" + (f": {note}" if note else ""))
    click.echo(
        f"{article.path}: reviewed by {by.strip()} on {dt.date.today().isoformat()}; "
        "next: `helpdesk kb build`"
    )


@kb.command("stats")
@click.pass_context
def kb_stats(ctx: click.Context) -> None:
    """Per sector: articles, drafts, reviewed, stale reviews, sourced facts; directory; index.

    Example: helpdesk kb stats
    """
    from knowledge.check import card_numbers

    settings = _settings(ctx)
    knowledge = knowledge_base(settings)
    click.echo(
        f"articles: {len(knowledge.articles)}  topics covered: "
        f"{len(knowledge.by_topic)}/{len(knowledge.coverage.topics)}  "
        f"directory: {len(knowledge.directory.entries)} services "
        f"({len(knowledge.services)} without an article)"
    )
    today = dt.date.today()
    click.echo(
        "| sector | articles | drafts | reviewed | stale | sources | facts | sourced facts | services |"
    )
    click.echo("|---|---|---|---|---|---|---|---|---|")
    sectors = list(knowledge.coverage.sectors) + sorted(
        {e.sector for e in knowledge.directory.entries} - set(knowledge.coverage.sectors)
    )
    for sector in sectors:
        articles = [a for a in knowledge.articles if a.sector == sector]
        services = sum(e.sector == sector for e in knowledge.directory.entries)
        reviewed = [a for a in articles if a.review.reviewed]
        stale = sum(
            (today - a.review.date).days > settings.kb_max_age_days for a in reviewed if a.review.date
        )
        facts = sourced = 0
        for a in articles:
            supported = {n for src in a.sources for n in re.findall(r"\d+", src.supports)}
            numbers = set().union(*(card_numbers(a, lang) for lang in LANGS))
            facts += len(numbers)
            sourced += len(numbers & supported)
        click.echo(
            f"| {sector} | {len(articles)} | {len(articles) - len(reviewed)} | {len(reviewed)} "
            f"| {stale} | {sum(len(a.sources) for a in articles)} | {facts} | {sourced} "
            f"| {services} |"
        )
    click.echo(f"KB hash: {knowledge.content_hash}")
    try:
        meta = read_meta(settings.index_dir)
        state = "up to date" if meta.kb_hash == knowledge.content_hash else "STALE"
        built = dt.datetime.fromtimestamp(meta.built_at).isoformat(timespec="seconds")
        click.echo(f"index: {state}, {meta.chunks} passages, {meta.embedder}, built {built}")
    except IndexMissingError:
        click.echo("index: missing (run `helpdesk kb build`)")
