"""``helpdesk doctor``: each part the bot needs, checked, with what to do when it is missing."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator

from bot.config import ConfigError, Settings
from bot.storage.queries import DatabaseUnreadable, probe_database


def run_checks(settings: Settings) -> Iterator[tuple[bool, str, str]]:
    from bot.telegram.app import check_token
    from bot.wiring import check_index, database_path, knowledge_base
    from intents.classifier import IntentClassifier, IntentModelError
    from knowledge.loader import ArticleError
    from retrieval.embedders import ModelMissingError, make_embedder
    from retrieval.index import IndexMissingError, IndexStaleError

    try:
        check_token(settings)
        yield True, "token", "present and well-formed (not shown)"
    except ConfigError as exc:
        yield False, "token", f"{exc} (needed only for `helpdesk serve`)"
    data = settings.data_dir
    if data.is_dir():
        mode = stat.S_IMODE(os.stat(data).st_mode)
        writable = os.access(data, os.W_OK)
        yield writable, "data folder", f"{data} ({oct(mode)}{'' if writable else ', not writable'})"
    else:
        yield False, "data folder", f"{data} does not exist: run `make index` or `helpdesk kb build`"
    kb = None
    try:
        kb = knowledge_base(settings)
        yield True, "knowledge base", f"{len(kb.articles)} articles"
    except ArticleError as exc:
        yield False, "knowledge base", f"{exc}: run `helpdesk kb check`"
    try:
        embedder = make_embedder(settings.embedder)
        yield True, "embedding model", embedder.name
    except (ModelMissingError, ValueError) as exc:
        embedder = None
        yield False, "embedding model", str(exc)
    if kb is not None and embedder is not None:
        try:
            check_index(settings, kb, embedder)
            yield True, "search index", f"{settings.index_dir} up to date"
        except (IndexMissingError, IndexStaleError) as exc:
            yield False, "search index", str(exc)
    try:
        model = IntentClassifier.load(settings.intents_dir)
        yield True, "intent model", model.name
    except IntentModelError as exc:
        yield False, "intent model", str(exc)
    if settings.database_url is not None:
        yield from _check_postgres(settings.database_url.get_secret_value())
    else:
        yield from _check_database(database_path(settings))
    if settings.webhook_url and not settings.webhook_secret:
        yield False, "webhook", "HELPDESK_WEBHOOK_URL is set without HELPDESK_WEBHOOK_SECRET"
    if settings.operators_chat_id is None:
        yield (
            True,
            "operators",
            "HELPDESK_OPERATORS_CHAT_ID not set: handoffs are recorded, nobody receives them",
        )


def _check_database(path) -> Iterator[tuple[bool, str, str]]:
    """Integrity, and updates waiting or set aside in the inbox (read-only: the bot may be running)."""
    if not path.exists():
        yield True, "database", f"{path} not created yet (the bot creates it at start)"
        return
    try:
        check, waiting = probe_database(path)
    except DatabaseUnreadable as exc:
        yield False, "database", f"{path}: {exc}"
        return
    if check != "ok":
        yield False, "database", f"{path}: integrity check says {check!r}: restore from `helpdesk backup`"
        return
    yield True, "database", f"{path} ok; {_inbox_detail(waiting)}"


def _inbox_detail(waiting: dict[str, int]) -> str:
    failed = waiting.pop("failed", 0)
    detail = f"{sum(waiting.values())} updates waiting to be handled"
    if failed:
        detail += f"; {failed} set aside after failing 3 times (see the error log)"
    return detail


def _check_postgres(url: str) -> Iterator[tuple[bool, str, str]]:
    """The server answers, its schema is current (the bot migrates at start) and what the inbox holds;
    read-only. Named by host, port and database: the URL's password is never shown."""
    from bot.storage import StoreUnavailable
    from bot.storage.postgres_admin import probe, where

    try:
        health = probe(url)
    except StoreUnavailable as exc:
        yield False, "database", f"PostgreSQL {exc}: check HELPDESK_DATABASE_URL and the server"
        return
    name = f"PostgreSQL {where(url)}"
    if health.pending_migrations:
        missing = ", ".join(health.pending_migrations)
        yield True, "database", f"{name} answers; migrations {missing} are applied at the next start"
        return
    yield True, "database", f"{name} ok; {_inbox_detail(dict(health.waiting))}"
