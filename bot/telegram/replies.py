"""What the citizens' routers share: who pressed or wrote, their language, and how a reply is sent.

No handlers are registered here; :mod:`bot.telegram.menu`, :mod:`bot.telegram.buttons` and
:mod:`bot.telegram.citizen` use these helpers, and ``app.py`` wires their routers.
"""

from __future__ import annotations

from typing import cast

from aiogram.types import CallbackQuery, InaccessibleMessage, Message, User

from bot.cases.tickets import TicketRequest
from bot.dialogue import Helpdesk, Reply
from bot.redact import redact
from bot.storage.sqlite import Store
from bot.telegram.keyboards import answer_keyboard, clarify_keyboard, consent_keyboard
from bot.telegram.relay import Handoff
from bot.telegram.render import reply_html, split_message
from bot.texts import t
from knowledge.loader import LANGS

CARD_QUESTION_CHARS = 700  # even in emoji (2 UTF-16 units each) the card stays under 4096
# The message under a pressed button; one too old for the bot to read comes as an
# InaccessibleMessage, which still has its chat and can still be answered there.
ButtonMessage = Message | InaccessibleMessage


def sender(message: Message) -> User:
    """Who wrote a private-chat message: Telegram always says (only channel posts have no sender)."""
    return cast(User, message.from_user)


def button_message(callback: CallbackQuery) -> ButtonMessage:
    """The message under the button: the routers' private-chat filter passes no callback without one."""
    return cast(ButtonMessage, callback.message)


def user_lang(store: Store, user_id: int, fallback: str | None = None) -> str:
    """The language the citizen chose, else the one of their last message, else Azerbaijani."""
    chosen = store.language(user_id)
    return chosen or (fallback if fallback in LANGS else "az")


def last_question(store: Store, user_id: int) -> str:
    asked = [
        m["text"] for m in store.messages(user_id) if m["direction"] == "in" and not m["text"].startswith("/")
    ]
    return asked[-1] if asked else ""


async def send_html(message: ButtonMessage, body: str, markup=None) -> None:
    parts = split_message(body)
    for part in parts[:-1]:
        await message.answer(part)
    await message.answer(parts[-1], reply_markup=markup)


async def ask_consent(
    message: ButtonMessage,
    user_id: int,
    handoff: Handoff,
    lang: str,
    reason: str,
    question: str,
    candidates: list[dict],
    confidence: float | None,
    first_name: str | None = None,
) -> None:
    """Before anything goes to a person, the citizen says yes."""
    sector = None
    if candidates:
        article = handoff.helpdesk.kb.by_topic.get(candidates[0]["topic"])
        sector = article.sector if article else None
    # A Telegram name is free text (people put phone numbers in it): redacted like any text.
    name = redact(first_name or (message.chat.first_name if message.chat else None) or "")
    # The question goes on the operators' card, one message under Telegram's 4096 limit with the
    # recent messages beside it; the whole text stays in the transcript. Redacted before it is
    # cut, so no identifier is cut in half and missed.
    question = redact(question)
    if len(question) > CARD_QUESTION_CHARS:
        question = question[:CARD_QUESTION_CHARS] + "…"
    ticket_id = handoff.tickets.request(
        TicketRequest(user_id, message.chat.id, name, lang, sector, reason, question, candidates, confidence)
    )
    await message.answer(t("consent_question", lang), reply_markup=consent_keyboard(ticket_id, lang))


async def send_reply(
    message: ButtonMessage,
    user_id: int,
    reply: Reply,
    store: Store,
    helpdesk: Helpdesk,
    prefix: str = "",
    handoff: Handoff | None = None,
) -> None:
    """Send a reply into ``message``'s chat (logged for ``user_id``), links and buttons last."""
    stored_id = store.log_message(
        user_id,
        message.chat.id,
        "out",
        reply.answer,
        lang=reply.lang,
        action=reply.action,
        intent=reply.intent,
        topic=reply.service if reply.action == "refer" else reply.topic,
        confidence=reply.confidence,
        latency_ms=reply.latency_ms,
    )
    if reply.action == "clarify":
        markup = clarify_keyboard(helpdesk.kb, reply.choices, reply.lang)
    else:
        markup = answer_keyboard(reply, reply.lang, stored_id)
    await send_html(message, (f"<i>{prefix}</i>\n\n" if prefix else "") + reply_html(reply), markup)
    if reply.action == "handoff" and handoff is not None:
        await ask_consent(
            message,
            user_id,
            handoff,
            reply.lang,
            reply.reason or "handoff",
            reply.text,
            reply.candidates,
            reply.confidence,
        )


async def on_stale_button(callback: CallbackQuery, store: Store) -> None:
    """Forged, outdated or unknown callback data: a polite word, never an exception."""
    await callback.answer(t("stale_button", user_lang(store, callback.from_user.id)), show_alert=False)
