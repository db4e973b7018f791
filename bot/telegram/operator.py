"""The operators' router: the forum supergroup where tickets live, one topic per case.

The router only sees the operators' chat (a router-level filter on its id), so a citizen typing
``/take`` in a private chat never reaches these handlers. In a forum the ticket is the topic the
message is in; without topics (reply-based mode) it is the card or relayed message replied to.
"""

from __future__ import annotations

import html
import logging
from typing import cast

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, ExceptionTypeFilter
from aiogram.types import CallbackQuery, ErrorEvent, Message, User

from bot.cases.tickets import Ticket, TicketError
from bot.redact import redact
from bot.storage.sqlite import Store
from bot.telegram.keyboards import rating_keyboard
from bot.telegram.relay import Handoff
from bot.texts import t

log = logging.getLogger(__name__)


def ticket_of(message: Message, handoff: Handoff) -> Ticket | None:
    if message.message_thread_id and message.is_topic_message:
        return handoff.tickets.by_thread(message.message_thread_id)
    if message.reply_to_message:
        return handoff.tickets.by_operator_message(message.reply_to_message.message_id)
    return None


def sender(message: Message) -> User:
    """Who wrote a message in the operators' supergroup: Telegram always says (an anonymous admin
    is the group's bot account; only channel posts have no sender)."""
    return cast(User, message.from_user)


def operator_name(message: Message) -> str:
    """The operator's name as stored on the ticket: free text, so redacted like any other."""
    user = message.from_user
    return redact(user.full_name or user.username or str(user.id)) if user else "?"


async def _say(message: Message, text: str) -> None:
    await message.reply(text)


async def on_take(message: Message, bot: Bot, store: Store, handoff: Handoff) -> None:
    ticket = ticket_of(message, handoff)
    if ticket is None:
        await _say(message, "No ticket here: use the command inside a ticket's topic.")
        return
    already = ticket.is_claimed_by(sender(message).id)
    ticket = handoff.tickets.claim(ticket.id, sender(message).id, operator_name(message))
    store.audit(sender(message).id, "take", ticket.id)
    await _say(message, f"✋ #{ticket.id} taken by {html.escape(ticket.operator_name or '')}")
    if not already:
        await bot.send_message(ticket.chat_id, t("operator_took_over", ticket.lang))


async def on_release(message: Message, store: Store, handoff: Handoff) -> None:
    ticket = ticket_of(message, handoff)
    if ticket is None:
        return
    handoff.tickets.release(ticket.id, sender(message).id)
    store.audit(sender(message).id, "release", ticket.id)
    await _say(message, f"↩️ #{ticket.id} released: waiting for an operator")


async def on_close(message: Message, bot: Bot, store: Store, handoff: Handoff) -> None:
    ticket = ticket_of(message, handoff)
    if ticket is None:
        return
    ticket = handoff.tickets.close(ticket.id)
    store.audit(sender(message).id, "close", ticket.id)
    await _say(message, f"✅ #{ticket.id} closed by {html.escape(operator_name(message))}")
    await bot.send_message(
        ticket.chat_id,
        t("ticket_closed", ticket.lang),
        reply_markup=rating_keyboard(ticket.id, ticket.lang),
    )


async def on_transfer(
    message: Message, command: CommandObject, bot: Bot, store: Store, handoff: Handoff
) -> None:
    """``/transfer`` replying to the colleague's message, or ``/transfer <their user id>``."""
    # In a topic the ticket is the topic's; in reply-based mode, the card /transfer replies to.
    ticket = ticket_of(message, handoff)
    target = message.reply_to_message.from_user if message.reply_to_message else None
    if ticket is None and message.reply_to_message is None:
        return
    if ticket is None and not message.is_topic_message:
        await _say(message, "Reply to the ticket's card with /transfer &lt;user id&gt;.")
        return
    if target is None or target.is_bot:
        arg = (command.args or "").strip()
        # ASCII digits only ("²".isdigit(), but int() refuses it), no longer than a Telegram id
        # (52 bits): a longer number would overflow SQLite's INTEGER.
        if not (arg.isascii() and arg.isdigit() and len(arg) <= 16):
            # Sent as HTML: a bare "<user id>" is refused by Telegram ("Unsupported start tag").
            await _say(
                message, "Reply to the colleague's message with /transfer, or /transfer &lt;user id&gt;."
            )
            return
        target_id, target_name = int(arg), f"operator {arg}"
    else:
        target_id, target_name = target.id, redact(target.full_name)
    if ticket is None:
        return
    ticket = handoff.tickets.claim(ticket.id, target_id, target_name, force=True)
    store.audit(sender(message).id, "transfer", ticket.id, f"to {target_id}")
    await _say(message, f"➡️ #{ticket.id} transferred to {html.escape(target_name)}")


async def on_note(message: Message, store: Store, handoff: Handoff) -> None:
    """An internal note: stays in the topic, never relayed."""
    ticket = ticket_of(message, handoff)
    if ticket is not None:
        store.audit(sender(message).id, "note", ticket.id, message.text or "")


async def on_kb(message: Message, store: Store, handoff: Handoff) -> None:
    """Turn the last reply to the citizen into a knowledge-base draft for the editors."""
    ticket = ticket_of(message, handoff)
    if ticket is None:
        return
    reply = handoff.tickets.last_operator_reply(ticket.id)
    if reply is None:
        await _say(message, f"#{ticket.id}: no reply to the citizen yet to turn into a draft")
        return
    # last_operator_reply only finds replies with a text.
    draft = handoff.tickets.add_draft(ticket, sender(message).id, reply.text or "")
    store.audit(sender(message).id, "kb_draft", ticket.id, f"draft {draft}")
    await _say(message, f"📝 draft {draft} saved for the editors (`helpdesk report drafts`)")


async def on_operator_message(message: Message, bot: Bot, store: Store, handoff: Handoff) -> None:
    """A plain message in a ticket's topic is the helpdesk's answer to the citizen."""
    ticket = ticket_of(message, handoff)
    if ticket is None or not ticket.is_active:
        return
    operator = sender(message)
    if not ticket.may_claim(operator.id):
        await _say(
            message,
            f"#{ticket.id} is taken by {html.escape(ticket.operator_name or '')}; "
            "not sent. Use /take to take it over.",
        )
        return
    if ticket.state == "open":  # answering is taking
        ticket = handoff.tickets.claim(ticket.id, operator.id, operator_name(message))
        store.audit(operator.id, "take", ticket.id, "by answering")
        await bot.send_message(ticket.chat_id, t("operator_took_over", ticket.lang))
    await handoff.to_citizen(bot, ticket, message)


async def on_operator_edited(message: Message, bot: Bot, handoff: Handoff) -> None:
    """An operator corrected an answer already relayed: the citizen gets the corrected version."""
    ticket = ticket_of(message, handoff)
    if ticket is None or not ticket.is_active:
        return
    relayed = any(
        r.direction == "to_citizen" and r.message_id == message.message_id and r.state == "sent"
        for r in handoff.tickets.relays(ticket.id)
    )
    if not relayed:
        return
    await bot.send_message(ticket.chat_id, t("operator_edited", ticket.lang))
    await bot.copy_message(ticket.chat_id, from_chat_id=message.chat.id, message_id=message.message_id)


async def on_operators_button(callback: CallbackQuery) -> None:
    """The bot puts no buttons in the operators' group: a press here is stale or forged."""
    await callback.answer("Nothing to do here.")


async def on_reload_refused(message: Message) -> None:
    """The admins' router (bot/telegram/admin.py) takes an admin's /reload first; this is anyone else's."""
    await _say(message, "/reload is for the helpdesk's admins.")


async def on_ticket_error(event: ErrorEvent, handoff: Handoff) -> bool:
    """The one answer to a refused ticket step (TicketError), whichever command raised it."""
    message = event.update.message
    ticket = ticket_of(message, handoff) if message is not None else None
    if message is None or ticket is None:
        return False  # not a ticket command after all: the general error handler takes it
    await _say(message, f"#{ticket.id}: {html.escape(str(event.exception))}")
    return True


def make_router(operators_chat_id: int) -> Router:
    router = Router(name="operators")
    router.message.filter(F.chat.id == operators_chat_id)
    router.message.register(on_take, Command("take"))
    router.message.register(on_release, Command("release"))
    router.message.register(on_close, Command("close"))
    router.message.register(on_transfer, Command("transfer"))
    router.message.register(on_note, Command("note"))
    router.message.register(on_kb, Command("kb"))
    router.message.register(on_reload_refused, Command("reload"))
    router.message.register(on_operator_message, ~F.text.startswith("/"))
    router.errors.register(on_ticket_error, ExceptionTypeFilter(TicketError))
    router.edited_message.filter(F.chat.id == operators_chat_id)
    router.edited_message.register(on_operator_edited)
    router.callback_query.filter(F.message.chat.id == operators_chat_id)
    router.callback_query.register(on_operators_button)
    return router
