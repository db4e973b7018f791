"""Losing nothing across a crash: updates go into the inbox before Telegram hears they arrived.

* Polling: ``RecordFetchedUpdates`` (on the bot's session, installed by ``DurableDispatcher``)
  records each fetched batch before the next ``getUpdates`` offset, Telegram's acknowledgement,
  moves past it.
* Webhook: ``DurableRequestHandler`` records the update before it answers 200.
* ``InboxMiddleware`` lets exactly one handler claim an update, gives that handler the update's
  transcript (``data["transcript"]``), marks it done afterwards, and hands it back if shutdown
  cancels the handler.
* ``replay_unfinished`` runs at start-up and handles again what a killed process left behind.
* Among many workers (``helpdesk serve --workers N``) ``keep_leases`` renews this worker's claims
  on a timer and ``replay_abandoned`` runs the recovery again and again, so what a SIGKILLed worker
  held is handled by a live one once its lease runs out — exactly once: a replay is claimed like
  any update, and of several workers replaying it one wins the claim.

A reply whose request reached Telegram just before a crash may be sent again by the replay:
the Bot API has no idempotency key. Everything the bot stores is written once.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, cast

from aiogram import BaseMiddleware, Bot, Dispatcher
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods import GetUpdates, Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import TelegramObject, Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from bot.storage.inbox import Inbox

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class RecordFetchedUpdates(BaseRequestMiddleware):
    """On the bot's session: each ``getUpdates`` batch goes into the inbox as it arrives.

    Telegram forgets a batch once a later ``getUpdates`` names an offset past it, and that call
    is made only after this one has returned — so every update is recorded before it is
    acknowledged, whatever aiogram's reader does with it next.
    """

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        response = await make_request(bot, method)
        if isinstance(method, GetUpdates):
            # aiogram's session hands the chain the method's result (the list of updates),
            # although its type hints name a Response wrapping it; either is understood.
            updates = response.result if isinstance(response, Response) else response
            for update in cast(list[Update], updates or []):
                self.inbox.record(update)
        return response


class DurableDispatcher(Dispatcher):
    """A Dispatcher whose polling records each update in the inbox before acknowledging it,
    and which knows the updates it is handling (so a graceful stop can wait for them)."""

    def __init__(self, *, inbox: Inbox, **kwargs: Any) -> None:
        super().__init__(inbox=inbox, **kwargs)
        self.inbox = inbox
        self.recorder = RecordFetchedUpdates(inbox)
        self.handling: set[asyncio.Task] = set()

    async def start_polling(self, *bots: Bot, **kwargs: Any) -> None:
        for bot in bots:
            if self.recorder not in bot.session.middleware:
                bot.session.middleware(self.recorder)
        await super().start_polling(*bots, **kwargs)

    async def feed_update(self, bot: Bot, update: Update, **kwargs: Any) -> Any:
        task = asyncio.current_task()
        if task is not None:
            self.handling.add(task)
        try:
            return await super().feed_update(bot, update, **kwargs)
        finally:
            if task is not None:
                self.handling.discard(task)

    async def wait_handled(self, timeout: float) -> None:
        """Until the updates being handled are done (or ``timeout`` seconds have passed)."""
        others = self.handling - {asyncio.current_task()}
        if others:
            await asyncio.wait(others, timeout=timeout)


class DurableRequestHandler(SimpleRequestHandler):
    """Webhook requests: the update is in the inbox before Telegram gets its 200."""

    def __init__(self, dispatcher: Dispatcher, bot: Bot, inbox: Inbox, **kwargs: Any) -> None:
        super().__init__(dispatcher=dispatcher, bot=bot, **kwargs)
        self.inbox = inbox

    async def handle(self, request: web.Request) -> web.Response:
        """Recorded, then handled: in the background behind an immediate 200 (one process), or —
        ``handle_in_background=False``, among many workers — before the answer, which is a 200
        only once the update is finished, so Telegram keeps a chat's next updates back until then."""
        bot = await self.resolve_bot(request)
        # Only a request with the right secret is recorded; the rest get the 401 from aiogram.
        if not self.verify_secret(request.headers.get(SECRET_HEADER, ""), bot):
            return await super().handle(request)
        try:
            update = await request.json(loads=bot.session.json_loads)
            self.inbox.record(update)
            update_id = update["update_id"]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:  # Telegram never sends this
            log.warning("webhook body is not an update: %r", exc)
            return web.json_response({"ok": False, "description": "not an update"}, status=400)
        if self.handle_in_background:
            return await super().handle(request)  # aiohttp keeps the body: it is read again there
        if self.inbox.state(update_id) != "handling":
            response = await super().handle(request)
            if self.inbox.state(update_id) not in ("received", "handling"):
                return response
        # Another handler has it — in this worker or another, maybe a dead one whose lease will
        # run out — or it outlasted aiogram's wait. Telegram asks again later.
        return web.json_response({"ok": False, "description": "being handled"}, status=503)

    __call__ = handle


class InboxMiddleware(BaseMiddleware):
    """Each update is handled by one handler once, even if Telegram or a restart delivers it again."""

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def __call__(self, handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        transcript = self.inbox.claim(event)
        if transcript is None:
            log.info("update %r already handled or being handled: skipped", event.update_id)
            return None
        data["transcript"] = transcript  # the handler's share of the transcript, for this update
        try:
            result = await handler(event, data)
        except asyncio.CancelledError:  # shutdown: leave it for the next start
            self.inbox.release(event.update_id)
            raise
        except Exception:
            self.inbox.finish(event.update_id, failed=True)
            raise
        self.inbox.finish(event.update_id)
        return result


async def replay_unfinished(dispatcher: Dispatcher, bot: Bot, inbox: Inbox) -> int:
    """Handle again, oldest first, the updates a previous process took but never finished."""
    recovery = inbox.recover()
    for payload in recovery.replay:
        try:
            await dispatcher.feed_raw_update(bot, payload)
        except Exception as exc:  # one bad leftover must not stop the others or the start-up
            log.error("replaying update %r failed: %r", payload.get("update_id"), exc)
            inbox.finish(cast(int, payload.get("update_id")), failed=True)  # record() wants an int id
    if recovery.replay:
        log.warning("replayed %r updates a stopped process left unfinished", len(recovery.replay))
    return len(recovery.replay)


async def keep_leases(inbox: Inbox, every: float) -> None:
    """This worker's heartbeat in the inbox: its claims stay its own while it lives."""
    while True:
        await asyncio.sleep(every)
        try:
            inbox.renew()
        except Exception as exc:  # the database is away for a moment: try again next beat
            log.error("could not renew the inbox leases: %r", exc)


async def replay_abandoned(dispatcher: Dispatcher, bot: Bot, inbox: Inbox, every: float) -> None:
    """Now and then, what dead workers left (expired leases, updates nobody claimed) is handled here."""
    while True:
        await asyncio.sleep(every)
        try:
            await replay_unfinished(dispatcher, bot, inbox)
        except Exception as exc:
            log.error("could not replay abandoned updates: %r", exc)
