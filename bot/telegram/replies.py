"""What the citizens' routers share: who pressed or wrote, and how a conversation's turn is sent.

No handlers are registered here; :mod:`bot.telegram.menu`, :mod:`bot.telegram.buttons` and
:mod:`bot.telegram.citizen` use these helpers, and ``app.py`` wires their routers.
"""

from __future__ import annotations

import html
from typing import cast

from aiogram.types import CallbackQuery, InaccessibleMessage, Message, User

from bot.conversation import Citizen, Conversation, Turn
from bot.dialogue import Helpdesk
from bot.telegram.keyboards import answer_keyboard, clarify_keyboard, consent_keyboard
from bot.telegram.render import reply_html, split_message
from bot.texts import t

# The message under a pressed button; one too old for the bot to read comes as an
# InaccessibleMessage, which still has its chat and can still be answered there.
ButtonMessage = Message | InaccessibleMessage


def sender(message: Message) -> User:
    """Who wrote a private-chat message: Telegram always says (only channel posts have no sender)."""
    return cast(User, message.from_user)


def button_message(callback: CallbackQuery) -> ButtonMessage:
    """The message under the button: the routers' private-chat filter passes no callback without one."""
    return cast(ButtonMessage, callback.message)


def citizen_of(message: Message) -> Citizen:
    """The citizen who wrote a private-chat message, for the conversation service."""
    user = sender(message)
    return Citizen(user.id, message.chat.id, user.first_name or message.chat.first_name)


def presser_of(callback: CallbackQuery) -> Citizen:
    """The citizen who pressed a button in their private chat."""
    chat = button_message(callback).chat
    return Citizen(callback.from_user.id, chat.id, callback.from_user.first_name or chat.first_name)


async def send_html(message: ButtonMessage, body: str, markup=None) -> None:
    parts = split_message(body)
    for part in parts[:-1]:
        await message.answer(part)
    await message.answer(parts[-1], reply_markup=markup)


async def send_turn(message: ButtonMessage, turn: Turn, helpdesk: Helpdesk, prefix: str = "") -> None:
    """Say what the conversation decided, in order: link verdicts, the reply, the consent question."""
    if turn.links:
        verdicts = [
            t("link_official" if v.official else "link_unofficial", turn.links_lang).format(
                domain=html.escape(v.domain)
            )
            for v in turn.links
        ]
        await message.answer("\n".join(verdicts))
    if turn.with_person:
        await message.answer(t("operator_soon", turn.lang))
    for number, (reply, answer_id) in enumerate(turn.shown):
        if reply.action == "clarify":
            markup = clarify_keyboard(helpdesk.kb, reply.choices, reply.lang)
        else:
            markup = answer_keyboard(reply, reply.lang, answer_id)
        notice = f"<i>{prefix}</i>\n\n" if prefix and number == 0 else ""
        await send_html(message, notice + reply_html(reply), markup)
    if turn.consent is not None:
        await message.answer(
            t("consent_question", turn.consent.lang),
            reply_markup=consent_keyboard(turn.consent.ticket_id, turn.consent.lang),
        )


async def on_stale_button(callback: CallbackQuery, conversation: Conversation) -> None:
    """Forged, outdated or unknown callback data: a polite word, never an exception."""
    await callback.answer(t("stale_button", conversation.language(callback.from_user.id)), show_alert=False)
