"""Editors' pages: the knowledge base (review state, card preview, check, review, reload) and gaps.

Each action calls the code the command line calls: ``kb review`` → :func:`record_review`,
``kb new`` → :func:`write_skeleton`, ``/reload`` → :meth:`Reloader.reload`, ``kb check`` →
:func:`check_all`, the bot's card → :meth:`Helpdesk.card_reply` and :func:`reply_html`.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from aiohttp import web

from bot.render import reply_html
from bot.reports import cluster_questions, gap_questions, referred_services
from bot.web.app import LANG, console_of, needs, render, session_of
from bot.web.i18n import LANGS
from bot.web.telegram_html import telegram_subset
from knowledge.check import Finding, check_all
from knowledge.editing import write_skeleton
from knowledge.loader import ArticleError, KnowledgeBase, load_knowledge_base
from knowledge.review import record_review


def _knowledge(request: web.Request) -> tuple[KnowledgeBase | None, list[Finding]]:
    """The knowledge base as the files say now (an editor's save shows at once), and its findings."""
    settings = console_of(request).settings
    return check_all(
        settings.articles_dir,
        settings.coverage_file,
        tuple(settings.official_domains),
        settings.kb_max_age_days,
    )


def _age_days(date: dt.date | None) -> int | None:
    return (dt.date.today() - date).days if date else None


@needs("view_knowledge")
async def knowledge(request: web.Request) -> web.Response:
    kb, findings = _knowledge(request)
    articles = sorted(kb.articles, key=lambda a: (a.sector, a.id)) if kb else []
    counts: dict[str, int] = {}
    for finding in findings:
        counts[finding.path] = counts.get(finding.path, 0) + 1
    return render(
        request,
        "knowledge.html",
        articles=articles,
        services=sorted(kb.directory.entries, key=lambda e: (e.sector, e.id)) if kb else [],
        findings_per_path=counts,
        refused=[f for f in findings if f.level == "error"],
        age=_age_days,
        message=request.query.get("message", ""),
    )


@needs("view_knowledge")
async def article_page(request: web.Request) -> web.Response:
    console = console_of(request)
    kb, findings = _knowledge(request)
    article_id = request.match_info["article_id"]
    article = next((a for a in kb.articles if a.id == article_id), None) if kb else None
    if article is None:
        raise web.HTTPNotFound()
    lang = request.query.get("card", request[LANG])
    lang = lang if lang in LANGS else "az"
    # The bot's own path: the served helpdesk's card reply (its draft policy) and the Telegram HTML.
    helpdesk = (await console.helpdesk_ref()).current
    reply = helpdesk.card_reply(article, lang)
    preview = telegram_subset(reply_html(reply))
    audit = [
        row for row in console.store.audit_log() if row["action"] == "kb_review" and _about(row, article.id)
    ]
    return render(
        request,
        "article.html",
        article=article,
        card_lang=lang,
        card_langs=LANGS,
        preview=preview,
        links=reply.links,
        findings=[f for f in findings if f.path == article.path],
        audit=sorted(audit, key=lambda r: -r["created_at"])[:10],
        age=_age_days(article.review.date),
        message=request.query.get("message", ""),
    )


def _about(row: dict[str, Any], article_id: str) -> bool:
    try:
        return json.loads(row["detail"] or "{}").get("article") == article_id
    except (ValueError, AttributeError):
        return str(row["detail"] or "").startswith(f"{article_id} ")  # a `helpdesk kb review` row


@needs("review_article")
async def review(request: web.Request) -> web.StreamResponse:
    console, session = console_of(request), session_of(request)
    settings = console.settings
    article_id = request.match_info["article_id"]
    form = await request.post()
    note = str(form.get("note", "")).strip() or None
    kb = load_knowledge_base(settings.articles_dir, settings.coverage_file, tuple(settings.official_domains))
    try:
        record_review(kb, article_id, session.staff.name, note)
    except ArticleError as exc:
        raise web.HTTPSeeOther(f"/knowledge/{article_id}?message=" + _quote(exc.message)) from None
    console.audit(session, "kb_review", article=article_id, note=note or "")
    raise web.HTTPSeeOther(f"/knowledge/{article_id}?message=reviewed")


@needs("reload")
async def reload(request: web.Request) -> web.StreamResponse:
    console, session = console_of(request), session_of(request)
    outcome = await (await console.reloader_now()).reload(actor=None)
    console.audit(session, "console_reload", ok=outcome.ok, message=outcome.message)
    raise web.HTTPSeeOther("/knowledge?message=" + _quote(outcome.message))


def _quote(message: str) -> str:
    from urllib.parse import quote

    return quote(message[:300])


@needs("view_gaps")
async def gaps(request: web.Request) -> web.Response:
    console = console_of(request)
    try:
        since = dt.date.fromisoformat(request.query["from"]) if request.query.get("from") else None
    except ValueError:
        since = None
    helpdesk = (await console.helpdesk_ref()).current
    clusters = cluster_questions(gap_questions(console.store, since), helpdesk.searcher.embedder)
    kb, _ = _knowledge(request)
    names = {e.id: e for e in kb.directory.entries} if kb else {}
    articled = {a.topic for a in kb.articles} if kb else set()
    missing_topics = sorted(t for t in kb.coverage.topics if t not in articled) if kb else []
    services = [(sid, n, names.get(sid)) for sid, n in referred_services(console.store, since)]
    return render(
        request,
        "gaps.html",
        clusters=clusters,
        services=services,
        missing_topics=missing_topics,
        drafts=console.store.drafts(),
        since=request.query.get("from", ""),
        message=request.query.get("message", ""),
    )


@needs("start_article")
async def start_article(request: web.Request) -> web.StreamResponse:
    console, session = console_of(request), session_of(request)
    topic = str((await request.post()).get("topic", "")).strip()
    settings = console.settings
    try:
        path = write_skeleton(settings.articles_dir, settings.coverage_file, topic)
    except ArticleError as exc:
        raise web.HTTPSeeOther("/gaps?message=" + _quote(exc.message)) from None
    console.audit(session, "kb_new", topic=topic)
    raise web.HTTPSeeOther(
        "/gaps?message=" + _quote(f"wrote {path.name}: fill in the TODOs, then check and build")
    )


def register(router: web.UrlDispatcher) -> None:
    router.add_get("/knowledge", knowledge)
    router.add_post("/knowledge/reload", reload)
    router.add_get("/knowledge/{article_id}", article_page)
    router.add_post("/knowledge/{article_id}/review", review)
    router.add_get("/gaps", gaps)
    router.add_post("/gaps/start", start_article)
