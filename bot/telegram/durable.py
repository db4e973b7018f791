"""Losing nothing across a crash: updates go into the inbox before Telegram hears they arrived.

* Polling: ``DurableDispatcher`` records each fetched update before aiogram's reader moves the
  ``getUpdates`` offset past it (the offset is Telegram's acknowledgement).
* Webhook: ``DurableRequestHandler`` records the update before it answers 200.
* ``InboxMiddleware`` lets exactly one handler claim an update, marks it done afterwards, and
  hands it back if shutdown cancels the handler.
* ``replay_unfinished`` runs at start-up and handles again what a killed process left behind.

A reply whose request reached Telegram just before a crash may be sent again by the replay:
the Bot API has no idempotency key. Everything the bot stores is written once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator
from typing import Any, cast

from aiogram import BaseMiddleware, Bot, Dispatcher
from aiogram.types import TelegramObject, Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from bot.storage.inbox import Inbox
from bot.storage.sqlite import HANDLING_UPDATE

log = logging.getLogger(__name__)


class DurableDispatcher(Dispatcher):
    """A Dispatcher whose polling writes each update to the inbox before acknowledging it."""

    # aiogram declares _listen_updates a classmethod but calls it on the dispatcher (self._listen_updates
    # in _polling); the override needs the instance for its inbox.
    async def _listen_updates(  # type: ignore[override]
        self, bot: Bot, *args: Any, **kwargs: Any
    ) -> AsyncGenerator[Update, None]:
        inbox: Inbox = self.workflow_data["inbox"]
        async for update in super()._listen_updates(bot, *args, **kwargs):
            inbox.record(update)  # aiogram advances the offset only after this yield returns
            yield update


class DurableRequestHandler(SimpleRequestHandler):
    """Webhook requests: the update is in the inbox before Telegram gets its 200."""

    def __init__(self, dispatcher: Dispatcher, bot: Bot, inbox: Inbox, **kwargs: Any) -> None:
        super().__init__(dispatcher=dispatcher, bot=bot, **kwargs)
        self.inbox = inbox

    async def _handle_request_background(self, bot: Bot, request: web.Request) -> web.Response:
        try:
            self.inbox.record(await request.json(loads=bot.session.json_loads))
        except ValueError as exc:  # not an update: Telegram never sends this, so say so plainly
            log.warning("webhook body is not an update: %r", exc)
            return web.json_response({"ok": False, "description": "not an update"}, status=400)
        return await super()._handle_request_background(bot, request)


class InboxMiddleware(BaseMiddleware):
    """Each update is handled by one handler once, even if Telegram or a restart delivers it again."""

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def __call__(self, handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        if not self.inbox.claim(event):
            log.info("update %r already handled or being handled: skipped", event.update_id)
            return None
        marker = HANDLING_UPDATE.set(event.update_id)
        try:
            result = await handler(event, data)
        except asyncio.CancelledError:  # shutdown: leave it for the next start
            self.inbox.release(event.update_id)
            raise
        except Exception:
            self.inbox.finish(event.update_id, failed=True)
            raise
        finally:
            HANDLING_UPDATE.reset(marker)
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
        log.warning("replayed %r updates left unfinished by the previous run", len(recovery.replay))
    return len(recovery.replay)
