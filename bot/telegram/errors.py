"""One error router: anything a handler did not expect is logged and the citizen told politely."""

from __future__ import annotations

import logging
from typing import cast

from aiogram import Router
from aiogram.types import ErrorEvent, Message

from bot.texts import t

log = logging.getLogger(__name__)


async def on_error(event: ErrorEvent, store=None, metrics=None) -> bool:
    update = event.update
    if metrics is not None:
        metrics.count_error()
    # The update's text may hold personal data: log its id and the error only.
    log.error(
        "update %r failed: %r",
        update.update_id,
        event.exception,
        exc_info=(type(event.exception), event.exception, event.exception.__traceback__),
    )
    message = (
        update.message
        or update.edited_message
        or (update.callback_query.message if update.callback_query else None)
    )
    if message is not None and message.chat.type == "private":
        # The button's presser, else the sender of the message (update.message or edited_message).
        query = update.callback_query
        sender = query.from_user if query else cast(Message, message).from_user
        lang = (store.language(sender.id) if store and sender else None) or "az"
        try:
            await message.answer(t("error", lang))
        except Exception as exc:  # the apology itself failed: nothing more to do but log
            log.error("could not tell update %r about the error: %r", update.update_id, exc)
    return True


def make_router() -> Router:
    router = Router(name="errors")
    router.errors.register(on_error)
    return router
