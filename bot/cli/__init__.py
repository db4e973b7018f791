"""The ``helpdesk`` command: chat, ask, kb (check/build/stats), eval, bench."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import cast

import click

from bot.config import ConfigError, Settings, load_settings
from intents.classifier import IntentModelError
from knowledge.loader import LANGS, ArticleError, load_knowledge_base
from retrieval.embedders import ModelMissingError, make_embedder
from retrieval.index import (
    BuildReport,
    IndexMissingError,
    IndexStaleError,
    build_index,
    check_fresh,
    count_chunks,
    read_meta,
    save_index,
)

# Errors a user can fix; each is printed as one line with what to run, never a traceback.
USER_ERRORS = (
    ConfigError,
    ArticleError,
    ModelMissingError,
    IndexMissingError,
    IndexStaleError,
    IntentModelError,
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


def _settings(ctx: click.Context) -> Settings:
    if "settings" not in ctx.obj:
        ctx.obj["settings"] = load_settings()
    return ctx.obj["settings"]


def _audit(ctx: click.Context, action: str, detail: str) -> None:
    """Editors' and admins' actions go to the audit table, with the system user as the actor."""
    import getpass

    from bot.storage.sqlite import Store

    store = Store(_settings(ctx).data_dir / "helpdesk.sqlite3")
    try:
        store.audit(None, action, None, f"{getpass.getuser()}: {detail}")
    finally:
        store.close()


def _helpdesk(ctx: click.Context):
    from bot.dialogue import Helpdesk

    if "helpdesk" not in ctx.obj:
        ctx.obj["helpdesk"] = Helpdesk.from_settings(_settings(ctx))
    return ctx.obj["helpdesk"]


@main.command()
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


@main.command()
@click.option("--lang", type=click.Choice(["az", "ru", "en"]), help="Answer in this language.")
@click.pass_context
def chat(ctx: click.Context, lang: str | None) -> None:
    """Talk to the helpdesk in the terminal (an empty line or Ctrl-D ends it).

    Example: helpdesk chat --lang ru
    """
    helpdesk = _helpdesk(ctx)
    click.echo("Citizen helpdesk — ask in Azerbaijani, Russian or English. Empty line or Ctrl-D to quit.")
    while True:
        try:
            question = input("you> ")
        except (EOFError, KeyboardInterrupt):
            click.echo()
            break
        if not question.strip():
            break
        _print_reply(helpdesk.reply(question, lang_hint=lang))
        click.echo()


@main.group()
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
@click.option("--full", is_flag=True, help="Re-embed every article, not only new and changed ones.")
@click.pass_context
def kb_build(ctx: click.Context, if_stale: bool, full: bool) -> None:
    """Embed new and changed articles and save the search index (BM25 + faiss).

    Unchanged articles keep their vectors from the previous build (same embedder); --full
    re-embeds everything.

    Example: helpdesk kb build --if-stale
    """
    from retrieval.index import load_previous

    settings = _settings(ctx)
    knowledge = load_knowledge_base(
        settings.articles_dir, settings.coverage_file, tuple(settings.official_domains)
    )
    embedder = make_embedder(settings.embedder)
    if if_stale:
        try:
            check_fresh(read_meta(settings.index_dir), knowledge, embedder.name, embedder.dim)
            click.echo(f"index is up to date ({settings.index_dir})")
            return
        except (IndexMissingError, IndexStaleError) as exc:
            click.echo(f"rebuilding: {exc}")
    previous = None if full else load_previous(settings.index_dir, embedder)
    total = count_chunks(knowledge)
    with click.progressbar(length=total, label=f"indexing {total} passages", file=sys.stderr) as bar:
        index = build_index(knowledge, embedder, progress=bar.update, previous=previous)
    save_index(index, settings.index_dir)
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
    knowledge = load_knowledge_base(
        settings.articles_dir, settings.coverage_file, tuple(settings.official_domains)
    )
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
    knowledge = load_knowledge_base(
        settings.articles_dir, settings.coverage_file, tuple(settings.official_domains)
    )
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


@main.command()
@click.option(
    "--log-level", default="INFO", show_default=True, type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"])
)
@click.pass_context
def serve(ctx: click.Context, log_level: str) -> None:
    """Run the Telegram bot: long polling, or a webhook when HELPDESK_WEBHOOK_URL is set.

    Needs HELPDESK_BOT_TOKEN; HELPDESK_TELEGRAM_API_URL points it at another Bot API server.

    Example: HELPDESK_BOT_TOKEN=123456:ABC... helpdesk serve
    """
    from bot.ops.monitoring import setup_logging
    from bot.telegram.app import serve as run

    settings = _settings(ctx)
    secrets = [s.get_secret_value() for s in (settings.bot_token, settings.webhook_secret) if s]
    setup_logging(log_level, secrets, settings.log_json)
    run(settings)


@main.command()
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


@main.command()
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def backup(ctx: click.Context, target: Path) -> None:
    """Copy the database while the bot runs (SQLite online backup), then check the copy.

    Example: helpdesk backup /var/backups/helpdesk-2026-11-25.sqlite3
    """
    store = _store(ctx)
    result = store.backup(target)
    store.audit(None, "backup", None, str(target))
    store.close()
    click.echo(
        f"backup {target}: integrity {result['integrity']}; users {result['users']}, "
        f"messages {result['messages']}, tickets {result['tickets']}"
    )
    if result["integrity"] != "ok":
        ctx.exit(2)


@main.command()
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


@main.group()
def report() -> None:
    """Reports from the helpdesk's database.

    Example: helpdesk report tickets --state open
    """


def _store(ctx: click.Context):
    from bot.storage.sqlite import Store

    return Store(_settings(ctx).data_dir / "helpdesk.sqlite3")


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
            (r["claimed_at"] or (now if r["state"] == "open" else r["closed_at"] or now)) - r["opened_at"]
            if r["opened_at"]
            else None
        )
        opened = (
            dt.datetime.fromtimestamp(r["opened_at"]).strftime("%Y-%m-%d %H:%M") if r["opened_at"] else "–"
        )
        click.echo(
            f"| {r['id']} | {r['state']} | {r['lang']} | {r['sector'] or '–'} | {r['reason']} | "
            f"{r['operator_name'] or '–'} | {opened} | {_minutes(waited)} | {r['rating'] or '–'} |"
        )
    counts = Counter(r["state"] for r in rows)
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
    from bot.tools.reports import cluster_questions, gap_questions, gaps_csv, gaps_markdown, referred_services

    settings = _settings(ctx)
    store = _store(ctx)
    questions = gap_questions(store, since.date() if since else None)
    clusters = cluster_questions(questions, make_embedder(settings.embedder), distance)
    services = referred_services(store, since.date() if since else None)
    click.echo(
        gaps_csv(clusters, services)
        if fmt == "csv"
        else gaps_markdown(clusters, Tickets(store).drafts(), services)
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
    from bot.tools.reports import usage, usage_png, usage_text

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
        click.echo(
            f"## draft {d['id']} (ticket #{d['ticket_id']}, {d['lang']})\n"
            f"Q: {d['question']}\nA: {d['answer']}\n"
        )
    click.echo(f"{len(drafts)} drafts")
    store.close()


@main.group()
def intents() -> None:
    """Train and inspect the intent classifier.

    Example: helpdesk intents train
    """


@intents.command("train")
@click.option("--if-stale", is_flag=True, help="Train only when the saved model is missing or outdated.")
@click.option("--c", "c", default=8.0, show_default=True, help="Inverse regularization of the model.")
@click.pass_context
def intents_train(ctx: click.Context, if_stale: bool, c: float) -> None:
    """Fit the intent and sector classifier on intents/data and the articles; save it.

    Example: helpdesk intents train
    """
    from intents.classifier import IntentClassifier, train_classifier, training_digest

    settings = _settings(ctx)
    knowledge = load_knowledge_base(
        settings.articles_dir, settings.coverage_file, tuple(settings.official_domains)
    )
    target = settings.intents_dir
    if if_stale:
        try:
            saved = IntentClassifier.load(target)
            wanted = training_digest(knowledge)
            if saved.meta.get("data_digest") == wanted:
                click.echo(f"intent model is up to date ({target})")
                return
            click.echo("retraining: the training data changed")
        except IntentModelError as exc:
            click.echo(f"training: {exc}")
    classifier = train_classifier(knowledge, c=c)
    classifier.save(target)
    counts = ", ".join(f"{k} {v}" for k, v in sorted(classifier.meta["examples"].items()))
    click.echo(f"saved {target}: {classifier.name}; examples: {counts}")


@main.command("eval")
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


@main.command()
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


if __name__ == "__main__":  # pragma: no cover
    main()
