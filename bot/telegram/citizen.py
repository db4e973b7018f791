"""The citizens' router: private chats with the bot — commands, questions, and the catch-alls.

Handlers are thin: each makes one call of the Telegram-free :class:`~bot.conversation.Conversation`
and renders the turn it returns. Services arrive by dependency injection from the Dispatcher
(``conversation``, ``store``, ``handoff``; ``helpdesk`` and ``transcript`` per update, from the
middlewares); nothing here reads globals. Handlers are registered by :func:`make_router` so every
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
from aiogram.types import BufferedInputFile, Message
from aiogram.utils.chat_action import ChatActionSender

from bot.cases.tickets import Ticket
from bot.conversation import Conversation
from bot.dialogue import Helpdesk
from bot.telegram.keyboards import forget_keyboard, language_keyboard
from bot.telegram.relay import Handoff
from bot.telegram.replies import citizen_of, on_stale_button, send_turn, sender
from bot.texts import t
from bot.transcript import Transcript
from intents.language import detect_language

log = logging.getLogger(__name__)


async def answer_text(
    message: Message,
    text: str,
    bot: Bot,
    conversation: Conversation,
    transcript: Transcript,
    helpdesk: Helpdesk,
    edited: bool = False,
) -> None:
    """One call of the conversation (typing meanwhile), then what it decided, rendered."""
    async with ChatActionSender.typing(bot=bot, chat_id=message.chat.id):
        turn = await conversation.ask(citizen_of(message), text, transcript, edited=edited)
    await send_turn(message, turn, helpdesk, prefix=t("edited", turn.lang) if edited else "")


# commands ------------------------------------------------------------------------------------
async def on_start(message: Message, conversation: Conversation) -> None:
    user = sender(message)
    lang = conversation.greet(user.id, (user.language_code or "")[:2])
    await message.answer(
        f"{t('start', lang)}\n\n<i>{t('privacy_short', lang)}</i>", reply_markup=language_keyboard()
    )


async def on_privacy(message: Message, conversation: Conversation) -> None:
    await message.answer(t("privacy", conversation.language(sender(message).id)))


async def on_help(message: Message, conversation: Conversation) -> None:
    await message.answer(t("help", conversation.language(sender(message).id)))


async def on_lang(message: Message, conversation: Conversation) -> None:
    await message.answer(
        t("choose_lang", conversation.language(sender(message).id)), reply_markup=language_keyboard()
    )


async def on_operator(
    message: Message, conversation: Conversation, transcript: Transcript, helpdesk: Helpdesk
) -> None:
    turn = conversation.request_person(citizen_of(message), transcript, said="/operator")
    await send_turn(message, turn, helpdesk)


async def on_mydata(message: Message, conversation: Conversation) -> None:
    """The citizen's own data, as a JSON file."""
    data = conversation.export(sender(message).id)
    await message.answer_document(
        BufferedInputFile(data.encode("utf-8"), filename="my-helpdesk-data.json"),
        caption=t("mydata_caption", conversation.language(sender(message).id)),
    )


async def on_forget(message: Message, conversation: Conversation) -> None:
    lang = conversation.language(sender(message).id)
    await message.answer(t("forget_confirm", lang), reply_markup=forget_keyboard(lang))


async def on_cancel(message: Message, conversation: Conversation) -> None:
    await message.answer(t("cancelled", conversation.cancel(citizen_of(message))))


# messages ------------------------------------------------------------------------------------
async def on_text(
    message: Message, bot: Bot, conversation: Conversation, transcript: Transcript, helpdesk: Helpdesk
) -> None:
    text = cast(str, message.text)  # registered with F.text
    await answer_text(message, text, bot, conversation, transcript, helpdesk)


async def on_edited(
    message: Message, bot: Bot, conversation: Conversation, transcript: Transcript, helpdesk: Helpdesk
) -> None:
    text = cast(str, message.text)  # registered with F.text
    await answer_text(message, text, bot, conversation, transcript, helpdesk, edited=True)


class HasOpenTicket(BaseFilter):
    """Matches a citizen whose case is with a person; hands the ticket to the handler."""

    async def __call__(self, message: Message, handoff: Handoff) -> bool | dict:
        ticket = handoff.tickets.active_for(message.from_user.id) if message.from_user else None
        return {"ticket": ticket} if ticket else False


async def on_message_to_operator(
    message: Message,
    bot: Bot,
    conversation: Conversation,
    transcript: Transcript,
    handoff: Handoff,
    ticket: Ticket,
) -> None:
    """While a ticket is open, whatever the citizen sends (text, photo, file) goes to the topic."""
    said = message.text or message.caption or f"[{message.content_type}]"
    conversation.relayed(citizen_of(message), said, ticket.lang, transcript)
    await handoff.to_operators(bot, ticket, message)


async def on_edit_to_operator(
    message: Message,
    bot: Bot,
    conversation: Conversation,
    transcript: Transcript,
    handoff: Handoff,
    ticket: Ticket,
) -> None:
    """A citizen corrected a message while a person has the case: the person sees the new text,
    not a bot answer to it."""
    text = message.text or message.caption or ""
    conversation.relayed(citizen_of(message), text, ticket.lang, transcript, edit=True)
    excerpt = text if len(text) <= 3000 else text[:3000] + "…"
    await handoff.post_to_ticket(
        bot, ticket, f"✏️ #{ticket.id}: the citizen edited a message:\n{html.escape(excerpt)}"
    )


async def on_not_text(message: Message, conversation: Conversation) -> None:
    """Voice, photo, sticker, document, location…: say what the bot can read."""
    caption = message.caption or ""
    lang = conversation.language(sender(message).id, detect_language(caption).lang if caption else None)
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
