"""Wiring: the Bot, the Dispatcher with its routers and services, polling or webhook."""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, field
from typing import TypedDict, cast
from urllib.parse import urlparse

from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.methods.base import Response
from aiogram.types import BotCommand
from aiogram.webhook.aiohttp_server import setup_application
from aiohttp import web
from pydantic import SecretStr

from bot.config import ConfigError, Settings
from bot.context import default_part_model
from bot.conversation import Conversation
from bot.dialogue import Helpdesk
from bot.ops.monitoring import Metrics, ops_app
from bot.ops.reload import Reloader
from bot.serving import HelpdeskRef
from bot.storage.base import Store
from bot.storage.inbox import Inbox
from bot.telegram import admin, buttons, citizen, errors, menu, operator
from bot.telegram.durable import (
    DurableDispatcher,
    DurableRequestHandler,
    InboxMiddleware,
    keep_leases,
    replay_abandoned,
    replay_unfinished,
)
from bot.telegram.middlewares import RateLimitMiddleware, RetryAfterMiddleware, ServingMiddleware
from bot.telegram.relay import Handoff
from bot.telegram.shared_state import SharedState, shared_state
from bot.wiring import build_helpdesk, open_store

log = logging.getLogger(__name__)
TOKEN_FORMAT = re.compile(r"^\d{5,16}:[A-Za-z0-9_-]{30,64}$")


def check_token(settings: Settings) -> str:
    """The token, or a one-line error naming the variable (the value itself is never shown)."""
    if settings.bot_token is None or not settings.bot_token.get_secret_value().strip():
        raise ConfigError("HELPDESK_BOT_TOKEN: missing; get one from @BotFather and set it")
    token = settings.bot_token.get_secret_value().strip()
    if not TOKEN_FORMAT.match(token):
        raise ConfigError("HELPDESK_BOT_TOKEN: malformed; it looks like 123456789:AA… (from @BotFather)")
    return token


class PinnedResponseSession(AiohttpSession):
    """aiogram reads every Bot API answer through ``Response[method.__returning__]``, a pydantic
    generic built on first use; pydantic keeps those classes only weakly, so once the garbage
    collector takes one the next call builds it again (about 1.5 ms of the event loop each, 3 % of
    it in a cold Telegram benchmark). This session holds each one the bot has used."""

    _pinned: dict[object, type] = {}

    def check_response(self, bot, method, status_code, content):  # type: ignore[no-untyped-def]
        returning = method.__returning__
        if returning not in self._pinned:
            self._pinned[returning] = Response[returning]  # type: ignore[valid-type]
        return super().check_response(bot, method, status_code, content)


def make_bot(settings: Settings) -> Bot:
    session = PinnedResponseSession(api=TelegramAPIServer.from_base(settings.telegram_api_url.rstrip("/")))
    session.middleware(RetryAfterMiddleware())
    return Bot(
        check_token(settings),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


@dataclass
class Runtime:
    """What a running dispatcher starts and must stop: background tasks and the ops server."""

    tasks: dict[str, asyncio.Task] = field(default_factory=dict)
    ops_runner: web.AppRunner | None = None
    console_runner: web.AppRunner | None = None

    async def stop(self) -> None:
        for runner in (self.ops_runner, self.console_runner):
            if runner is not None:
                await runner.cleanup()
        self.ops_runner = self.console_runner = None
        tasks, self.tasks = self.tasks, {}
        for task in tasks.values():
            task.cancel()
        for task in tasks.values():
            try:
                await task
            except asyncio.CancelledError:
                pass


class Services(TypedDict):
    """What handlers and the start-up hooks get by dependency injection (the dispatcher's data).

    Nothing here is replaced while the bot runs: a reload swaps the helpdesk inside
    ``helpdesk_ref``, and each update gets ``helpdesk`` (that update's) and ``transcript``
    from the middlewares.
    """

    settings: Settings
    store: Store
    inbox: Inbox
    helpdesk_ref: HelpdeskRef
    handoff: Handoff
    conversation: Conversation
    metrics: Metrics
    reloader: Reloader
    runtime: Runtime
    shared: SharedState
    background_every: float


def build_dispatcher(
    helpdesk: Helpdesk, store: Store, settings: Settings, background_every: float = 5.0
) -> DurableDispatcher:
    shared = shared_state(settings, store)
    if shared.replies is not None:  # replies other workers made are served here too
        helpdesk = helpdesk.sharing(shared.replies)
    serving = HelpdeskRef(helpdesk)
    handoff = Handoff(store, settings, serving)
    many = settings.workers > 1  # one of many workers on this database: recover only the dead's
    inbox = Inbox(
        store,
        lease_seconds=settings.inbox_lease_seconds,
        stale_after=settings.inbox_stale_seconds if many else None,
    )
    clients = shared.clients
    metrics = Metrics(redis_up=(lambda: clients.health.gauge) if clients is not None else None)
    services = Services(
        settings=settings,
        store=store,
        inbox=inbox,
        helpdesk_ref=serving,
        handoff=handoff,
        conversation=Conversation(
            serving,
            store,
            handoff.tickets,
            settings.official_domains,
            metrics,
            memory=shared.memory,
        ),
        metrics=metrics,
        reloader=Reloader(settings, serving, store),
        runtime=Runtime(),
        shared=shared,
        background_every=background_every,
    )
    # One update at a time per chat, so a citizen's replies keep their order (across workers
    # with Redis: bot/telegram/shared_state.py).
    dp = DurableDispatcher(events_isolation=shared.isolation, storage=shared.storage, **services)
    # Recorded before acknowledged, claimed once, replayed after a crash (bot/telegram/durable.py);
    # each update is answered by the helpdesk served when it arrived, even if a reload follows.
    dp.update.outer_middleware(InboxMiddleware(inbox))
    dp.update.outer_middleware(ServingMiddleware(serving))
    # The citizens' routers, one per concern, under one parent so the rate limit counts each
    # message once, whichever of them takes it. The catch-alls are in citizen's router: last.
    citizens = Router(name="citizens")
    citizens.message.outer_middleware(
        RateLimitMiddleware(settings.rate_limit_per_minute, settings.rate_limit_burst, shared.rate_limit)
    )
    citizens.include_routers(menu.make_router(), buttons.make_router(), citizen.make_router())
    if settings.operators_chat_id is not None:
        # Admins' commands before the operators' router, which refuses them to everyone else.
        dp.include_router(admin.make_router(settings.operators_chat_id, settings.admin_ids))
        dp.include_router(operator.make_router(settings.operators_chat_id))
    dp.include_router(citizens)  # the catch-all text handler lives here, so it comes last
    # Errors travel the routers in this order too: the operators' TicketError answer comes first,
    # the general one (log, apologise to a citizen) last.
    dp.include_router(errors.make_router())
    dp.startup.register(_on_startup)
    if many:
        dp.startup.register(_start_worker_tasks)
    dp.shutdown.register(_on_shutdown)
    return dp


async def _start_worker_tasks(
    bot: Bot,
    dispatcher: DurableDispatcher,
    inbox: Inbox,
    reloader: Reloader,
    runtime: Runtime,
    settings: Settings,
) -> None:
    """One of many workers: keep its claims, take over a dead worker's, follow the others' reloads."""
    every = settings.worker_check_seconds
    runtime.tasks["leases"] = asyncio.create_task(keep_leases(inbox, min(every, inbox.lease_seconds / 3)))
    runtime.tasks["abandoned"] = asyncio.create_task(replay_abandoned(dispatcher, bot, inbox, every))
    runtime.tasks["follow"] = asyncio.create_task(reloader.follow(every))
    log.info("worker %s: leases of %rs, checks every %rs", inbox.owner, inbox.lease_seconds, every)


async def _on_shutdown(dispatcher: DurableDispatcher, runtime: Runtime, shared: SharedState) -> None:
    # Let handlers in flight finish (SIGTERM is a graceful stop); any still running when the
    # loop ends are handed back to the inbox and replayed at the next start.
    await dispatcher.wait_handled(timeout=10)
    await runtime.stop()
    await shared.close()


async def _on_startup(
    bot: Bot,
    dispatcher: Dispatcher,
    store: Store,
    settings: Settings,
    handoff: Handoff,
    background_every: float,
    inbox: Inbox,
    metrics: Metrics,
    reloader: Reloader,
    runtime: Runtime,
    helpdesk_ref: HelpdeskRef,
    shared: SharedState,
) -> None:
    await shared.start()  # Redis pinged once: an outage is logged (once) before the first citizen
    if settings.console_port:  # the staff console beside the bot, on the helpdesk it serves
        from bot.web.app import console_app

        console = web.AppRunner(
            console_app(settings, store, helpdesk_ref, reloader=reloader), access_log=None
        )
        await console.setup()
        await web.TCPSite(console, settings.console_host, settings.console_port).start()
        runtime.console_runner = console
        log.info("staff console on %s:%r", settings.console_host, settings.console_port)
    if settings.metrics_port:
        app = ops_app(metrics, store, ready=lambda: True, degraded=lambda: shared.degraded)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, settings.metrics_host, settings.metrics_port).start()
        runtime.ops_runner = runner
        log.info("health and metrics on %s:%r", settings.metrics_host, settings.metrics_port)
    await handoff.check_group(bot)
    # Before new updates: what a killed process left half-done is handled first, in order.
    await replay_unfinished(dispatcher, bot, inbox)
    # Resend relays a previous run left pending, remind waiting citizens — and keep doing it.
    runtime.tasks["handoff"] = asyncio.create_task(handoff.run_background(bot, background_every))
    if settings.kb_watch_seconds > 0:  # editors' saves reach the bot without a restart
        runtime.tasks["watch"] = asyncio.create_task(reloader.watch(bot, settings.kb_watch_seconds))
    removed = store.purge_older_than(settings.retention_days)
    log.info("started; purged %r messages older than %r days", removed, settings.retention_days)
    try:
        await bot.set_my_commands(
            [
                BotCommand(command=c, description=d)
                for c, d in (
                    ("start", "Start / Başla"),
                    ("menu", "Topics / Mövzular"),
                    ("lang", "Language / Dil"),
                    ("help", "Help / Kömək"),
                    ("operator", "Talk to a person / Əməkdaş"),
                    ("privacy", "Privacy / Məxfilik"),
                    ("mydata", "My data / Məlumatlarım"),
                    ("forget", "Delete my data / Məlumatlarımı sil"),
                )
            ]
        )
    except Exception as exc:  # commands are a nicety; the bot works without them
        log.warning("could not set the command list: %r", exc)


def build_webhook_app(dp: DurableDispatcher, bot: Bot, settings: Settings) -> web.Application:
    """An aiohttp app that accepts updates only with the right secret token (401 otherwise)."""
    if not settings.webhook_secret or not settings.webhook_secret.get_secret_value():
        raise ConfigError("HELPDESK_WEBHOOK_SECRET: required with HELPDESK_WEBHOOK_URL")
    app = web.Application()
    DurableRequestHandler(
        dp,
        bot,
        dp.inbox,
        secret_token=settings.webhook_secret.get_secret_value(),
        # Among many workers an update is answered when handled: a chat's next one waits for it.
        handle_in_background=settings.workers == 1,
    ).register(app, path=urlparse(settings.webhook_url or "").path or "/")
    setup_application(app, dp, bot=bot)
    return app


async def run_polling(bot: Bot, dp: Dispatcher) -> None:
    await bot.delete_webhook(drop_pending_updates=False)
    await dp.start_polling(bot, handle_signals=True, close_bot_session=True)


def check_workers(settings: Settings) -> None:
    """Many workers need webhook mode: Telegram hands long-polling updates to one consumer."""
    if settings.workers > 1 and not settings.webhook_url:
        raise ConfigError(
            f"HELPDESK_WORKERS: {settings.workers} workers need webhook mode (set HELPDESK_WEBHOOK_URL); "
            "long polling takes one"
        )


def run_webhook(bot: Bot, dp: DurableDispatcher, settings: Settings, worker_index: int = 0) -> None:
    """Listen for Telegram's POSTs; worker 0 registers the webhook, every worker shares the port."""
    app = build_webhook_app(dp, bot, settings)  # (refuses a missing secret)
    # serve() comes here only when the webhook URL is set.
    url, secret = cast(str, settings.webhook_url), cast(SecretStr, settings.webhook_secret)

    async def register(_: web.Application) -> None:
        try:
            await bot.set_webhook(
                url,
                secret_token=secret.get_secret_value(),
                drop_pending_updates=False,
            )
        except Exception as exc:  # a webhook set before still delivers: serve on, and say so
            log.error("setWebhook failed, serving on with the webhook Telegram has: %r", exc)

    if worker_index == 0:
        app.on_startup.append(register)
    web.run_app(
        app,
        host=settings.webhook_host,
        port=settings.webhook_port,
        print=None,
        reuse_port=settings.workers > 1,  # SO_REUSEPORT: the kernel spreads connections over workers
        handle_signals=True,
    )


def worker_settings(settings: Settings, worker_index: int) -> Settings:
    """What one of many workers runs with: its own metrics port (the first one's + its index); the
    file watch (the others follow its reloads through the store) and the staff console only in
    worker 0."""
    if settings.workers == 1:
        return settings
    first = worker_index == 0
    return settings.model_copy(
        update={
            "metrics_port": settings.metrics_port + worker_index if settings.metrics_port else 0,
            "kb_watch_seconds": settings.kb_watch_seconds if first else 0,
            "console_port": settings.console_port if first else None,
        }
    )


def serve(settings: Settings, worker_index: int = 0) -> None:
    """``helpdesk serve``: load everything, then poll or listen until stopped (Ctrl-C, SIGTERM).

    With several workers this is one of them (``helpdesk serve --workers N`` starts them all)."""
    check_workers(settings)
    settings = worker_settings(settings, worker_index)
    bot = make_bot(settings)  # first, so a bad token fails before minutes of loading
    helpdesk = build_helpdesk(settings, serving=True)
    # Trained here, before the first update: the first message's reply would otherwise train it
    # (about a second, several under load) while the other chats' messages queue behind it.
    default_part_model()
    store = open_store(settings)
    dp = build_dispatcher(helpdesk, store, settings)
    try:
        if settings.webhook_url:
            log.info(
                "webhook mode on %s:%r (worker %r)",
                settings.webhook_host,
                settings.webhook_port,
                worker_index,
            )
            run_webhook(bot, dp, settings, worker_index)
        else:
            log.info("long polling %s", settings.telegram_api_url)
            asyncio.run(run_polling(bot, dp))
    finally:
        store.close()
