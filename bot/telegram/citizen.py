"""The citizens' router: private chats with the bot — commands, questions, and the catch-alls.

Services arrive by dependency injection from the Dispatcher (``helpdesk``, ``store``,
``settings``); nothing here reads globals. Handlers are registered by :func:`make_router` so every
Dispatcher (the bot, each test) gets routers of its own. Browsing (``/menu``) is in
:mod:`bot.telegram.menu`, the other buttons in :mod:`bot.telegram.buttons`, shared helpers in
:mod:`bot.telegram.replies`; ``app.py`` includes this router after them, since its text, non-text
and stale-button handlers take whatever they leave.
"""

from __future__ import annotations

import html
import logging
from typing import cast

from aiogram import Bot, F, Router
from aiogram.enums import ChatType
from aiogram.filters import BaseFilter, Command, CommandStart
from aiogram.types import Message
from aiogram.utils.chat_action import ChatActionSender

from bot.cases.tickets import Ticket
from bot.config import Settings
from bot.dialogue import Helpdesk
from bot.storage.sqlite import Store
from bot.telegram.keyboards import forget_keyboard, language_keyboard
from bot.telegram.relay import Handoff
from bot.telegram.render import domain_is_official, find_domains
from bot.telegram.replies import ask_consent, last_question, on_stale_button, send_reply, sender, user_lang
from bot.texts import t
from intents.language import detect_language
from retrieval.normalize import tokens

log = logging.getLogger(__name__)


async def answer_text(
    message: Message,
    text: str,
    bot: Bot,
    helpdesk: Helpdesk,
    store: Store,
    settings: Settings,
    prefix: str = "",
    handoff: Handoff | None = None,
    metrics=None,
) -> None:
    user = sender(message)
    store.touch_user(user.id)
    chosen = store.language(user.id)
    domains = find_domains(text)
    if domains:
        lang = chosen or detect_language(text).lang
        verdicts = [
            t(
                "link_official" if domain_is_official(d, settings.official_domains) else "link_unofficial",
                lang,
            ).format(domain=html.escape(d))
            for d in domains[:3]
        ]
        await message.answer("\n".join(verdicts))
        rest = text
        for d in domains:
            rest = rest.replace(d, " ")
        if len(tokens(rest)) < 3:  # just a link: the verdict is the answer
            store.log_message(user.id, message.chat.id, "in", text, lang=lang, action="link_check")
            return
    async with ChatActionSender.typing(bot=bot, chat_id=message.chat.id):
        reply = await helpdesk.areply(text, lang_hint=chosen)
    store.log_message(
        user.id,
        message.chat.id,
        "in",
        text,
        lang=reply.lang,
        intent=reply.intent,
        action=reply.action,
        topic=reply.service if reply.action == "refer" else reply.topic,
        confidence=reply.confidence,
    )
    if metrics is not None:
        metrics.count_message("in")
        metrics.observe_reply(reply.action, reply.latency_ms / 1000)
    await send_reply(message, user.id, reply, store, helpdesk, prefix, handoff)


# commands ------------------------------------------------------------------------------------
async def on_start(message: Message, store: Store) -> None:
    user = sender(message)
    store.touch_user(user.id)
    lang = user_lang(store, user.id, (user.language_code or "")[:2])
    await message.answer(
        f"{t('start', lang)}\n\n<i>{t('privacy_short', lang)}</i>", reply_markup=language_keyboard()
    )


async def on_privacy(message: Message, store: Store) -> None:
    await message.answer(t("privacy", user_lang(store, sender(message).id)))


async def on_help(message: Message, store: Store) -> None:
    await message.answer(t("help", user_lang(store, sender(message).id)))


async def on_lang(message: Message, store: Store) -> None:
    await message.answer(
        t("choose_lang", user_lang(store, sender(message).id)), reply_markup=language_keyboard()
    )


async def on_operator(message: Message, store: Store, handoff: Handoff) -> None:
    user = sender(message)
    lang = user_lang(store, user.id)
    if handoff.tickets.active_for(user.id):
        await message.answer(t("operator_soon", lang))
        return
    store.log_message(
        user.id,
        message.chat.id,
        "in",
        "/operator",
        lang=lang,
        action="handoff",
        intent="operator_request",
    )
    await ask_consent(
        message,
        user.id,
        handoff,
        lang,
        "operator_request",
        last_question(store, user.id),
        [],
        None,
        user.first_name,
    )


async def on_mydata(message: Message, store: Store) -> None:
    """The citizen's own data, as a JSON file."""
    import json

    from aiogram.types import BufferedInputFile

    data = json.dumps(store.export_user(sender(message).id), ensure_ascii=False, indent=1, default=str)
    store.audit(sender(message).id, "mydata")
    await message.answer_document(
        BufferedInputFile(data.encode("utf-8"), filename="my-helpdesk-data.json"),
        caption=t("mydata_caption", user_lang(store, sender(message).id)),
    )


async def on_forget(message: Message, store: Store) -> None:
    lang = user_lang(store, sender(message).id)
    await message.answer(t("forget_confirm", lang), reply_markup=forget_keyboard(lang))


async def on_cancel(message: Message, store: Store) -> None:
    await message.answer(t("cancelled", user_lang(store, sender(message).id)))


# messages ------------------------------------------------------------------------------------
async def on_text(
    message: Message,
    bot: Bot,
    helpdesk: Helpdesk,
    store: Store,
    settings: Settings,
    handoff: Handoff,
    metrics=None,
) -> None:
    text = cast(str, message.text)  # registered with F.text
    await answer_text(message, text, bot, helpdesk, store, settings, handoff=handoff, metrics=metrics)


async def on_edited(
    message: Message, bot: Bot, helpdesk: Helpdesk, store: Store, settings: Settings, handoff: Handoff
) -> None:
    text = cast(str, message.text)  # registered with F.text
    lang = user_lang(store, sender(message).id, detect_language(text).lang)
    await answer_text(
        message, text, bot, helpdesk, store, settings, prefix=t("edited", lang), handoff=handoff
    )


class HasOpenTicket(BaseFilter):
    """Matches a citizen whose case is with a person; hands the ticket to the handler."""

    async def __call__(self, message: Message, handoff: Handoff) -> bool | dict:
        ticket = handoff.tickets.active_for(message.from_user.id) if message.from_user else None
        return {"ticket": ticket} if ticket else False


async def on_message_to_operator(
    message: Message, bot: Bot, store: Store, handoff: Handoff, ticket: Ticket
) -> None:
    """While a ticket is open, whatever the citizen sends (text, photo, file) goes to the topic."""
    store.log_message(
        sender(message).id,
        message.chat.id,
        "in",
        message.text or message.caption or f"[{message.content_type}]",
        lang=ticket.lang,
        action="relay",
    )
    await handoff.to_operators(bot, ticket, message)


async def on_edit_to_operator(
    message: Message, bot: Bot, store: Store, handoff: Handoff, ticket: Ticket
) -> None:
    """A citizen corrected a message while a person has the case: the person sees the new text,
    not a bot answer to it."""
    text = message.text or message.caption or ""
    store.log_message(sender(message).id, message.chat.id, "in", text, lang=ticket.lang, action="relay_edit")
    excerpt = text if len(text) <= 3000 else text[:3000] + "…"
    await handoff.post_to_ticket(
        bot, ticket, f"✏️ #{ticket.id}: the citizen edited a message:\n{html.escape(excerpt)}"
    )


async def on_not_text(message: Message, store: Store) -> None:
    """Voice, photo, sticker, document, location…: say what the bot can read."""
    caption = message.caption or ""
    lang = user_lang(store, sender(message).id, detect_language(caption).lang if caption else None)
    await message.answer(t("non_text", lang))


def make_router() -> Router:
    router = Router(name="citizen")
    private = F.chat.type == ChatType.PRIVATE
    router.message.filter(private)
    router.edited_message.filter(private)
    router.callback_query.filter(F.message.chat.type == ChatType.PRIVATE)

    router.message.register(on_start, CommandStart())
    router.message.register(on_privacy, Command("privacy"))
    router.message.register(on_help, Command("help"))
    router.message.register(on_lang, Command("lang"))
    router.message.register(on_operator, Command("operator"))
    router.message.register(on_cancel, Command("cancel"))
    router.message.register(on_mydata, Command("mydata"))
    router.message.register(on_forget, Command("forget"))
    router.message.register(on_message_to_operator, HasOpenTicket())
    router.message.register(on_text, F.text)
    router.message.register(on_not_text)  # anything else a private chat can carry
    router.edited_message.register(on_edit_to_operator, HasOpenTicket())
    router.edited_message.register(on_edited, F.text)
    # Last of all: whatever the menu's and buttons' routers (included before this one) did not take.
    router.callback_query.register(on_stale_button)
    return router
