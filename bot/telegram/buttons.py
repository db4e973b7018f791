"""The buttons router: language, feedback, "talk to a person", consent, rating, reopen, /forget's yes.

Private chats only (a router-level filter). Callbacks only; each kind has a prefix of its own, and
whatever none of them matches falls through to the stale-button catch-all of
:mod:`bot.telegram.citizen`, whose router ``app.py`` includes last.
"""

from __future__ import annotations

from typing import cast

from aiogram import Bot, F, Router
from aiogram.enums import ChatType
from aiogram.types import CallbackQuery

from bot.cases.tickets import Ticket, TicketError
from bot.conversation import Conversation
from bot.dialogue import Helpdesk
from bot.storage.base import Store
from bot.telegram.keyboards import Consent, Feedback, ForgetMe, LangChoice, Rating, Reopen, TalkToPerson
from bot.telegram.relay import Handoff
from bot.telegram.replies import button_message, on_stale_button, presser_of, send_turn
from bot.texts import t
from bot.transcript import Transcript


async def on_lang_choice(
    callback: CallbackQuery, callback_data: LangChoice, conversation: Conversation
) -> None:
    if not conversation.choose_language(callback.from_user.id, callback_data.lang):
        await on_stale_button(callback, conversation)
        return
    await callback.answer()
    await button_message(callback).answer(t("lang_set", callback_data.lang))


async def on_feedback(callback: CallbackQuery, callback_data: Feedback, conversation: Conversation) -> None:
    lang = conversation.rate_answer(callback.from_user.id, callback_data.message, callback_data.helpful)
    if lang is None:  # forged or someone else's answer
        await on_stale_button(callback, conversation)
        return
    await callback.answer(t("feedback_thanks", lang))


async def on_talk_to_person(
    callback: CallbackQuery, conversation: Conversation, transcript: Transcript, helpdesk: Helpdesk
) -> None:
    await callback.answer()
    turn = conversation.request_person(presser_of(callback), transcript, said="[button] operator")
    await send_turn(button_message(callback), turn, helpdesk)


async def on_consent(
    callback: CallbackQuery,
    callback_data: Consent,
    bot: Bot,
    store: Store,
    handoff: Handoff,
    conversation: Conversation,
) -> None:
    user_id = callback.from_user.id
    ticket = handoff.tickets.get(callback_data.ticket)
    if ticket is None or ticket.user_id != user_id:  # not mine
        await on_stale_button(callback, conversation)
        return
    # A crash between opening the ticket and posting its card leaves it open but unseen by
    # operators; the replayed (or repeated) "yes" finishes the job.
    half_open = (
        callback_data.yes and handoff.enabled and ticket.state == "open" and ticket.card_message_id is None
    )
    if ticket.state != "consent" and not half_open:
        await on_stale_button(callback, conversation)
        return
    await callback.answer()
    if not callback_data.yes:
        handoff.tickets.decline(ticket.id, user_id)
        await button_message(callback).answer(t("consent_declined", ticket.lang))
        return
    if not half_open:
        store.set_consent(user_id)
        ticket = handoff.tickets.open(ticket.id, user_id)
    await button_message(callback).answer(await handoff.open(bot, ticket))


async def on_rating(
    callback: CallbackQuery, callback_data: Rating, store: Store, handoff: Handoff, conversation: Conversation
) -> None:
    if not handoff.tickets.rate(callback_data.ticket, callback.from_user.id, callback_data.stars):
        await on_stale_button(callback, conversation)
        return
    ticket = cast(Ticket, handoff.tickets.get(callback_data.ticket))  # rate() found it
    store.audit(callback.from_user.id, "rated", ticket.id, str(callback_data.stars))
    await callback.answer(t("rating_thanks", ticket.lang))


async def on_reopen(
    callback: CallbackQuery,
    callback_data: Reopen,
    bot: Bot,
    store: Store,
    handoff: Handoff,
    conversation: Conversation,
) -> None:
    try:
        ticket = handoff.tickets.reopen(callback_data.ticket, callback.from_user.id)
    except TicketError:
        await on_stale_button(callback, conversation)
        return
    store.audit(callback.from_user.id, "reopened", ticket.id)
    await callback.answer()
    await handoff.post_to_ticket(bot, ticket, f"🔄 #{ticket.id} reopened by the citizen")
    await button_message(callback).answer(t("reopened", ticket.lang))


async def on_forget_confirmed(
    callback: CallbackQuery, bot: Bot, store: Store, handoff: Handoff, conversation: Conversation
) -> None:
    user_id = callback.from_user.id
    lang = conversation.language(user_id)
    ticket = handoff.tickets.active_for(user_id)
    if ticket is not None:  # operators are told the case is gone, not left waiting
        handoff.tickets.close(ticket.id)
        await handoff.post_to_ticket(
            bot,
            ticket,
            f"🗑 #{ticket.id}: the citizen used /forget; the case is closed and its data deleted",
        )
    store.forget_user(user_id)
    store.audit(None, "forget", None, "a citizen's data deleted on request")
    await callback.answer()
    await button_message(callback).answer(t("forgotten", lang))


def make_router() -> Router:
    router = Router(name="citizen-buttons")
    router.callback_query.filter(F.message.chat.type == ChatType.PRIVATE)

    router.callback_query.register(on_lang_choice, LangChoice.filter())
    router.callback_query.register(on_feedback, Feedback.filter())
    router.callback_query.register(on_talk_to_person, TalkToPerson.filter())
    router.callback_query.register(on_consent, Consent.filter())
    router.callback_query.register(on_rating, Rating.filter())
    router.callback_query.register(on_reopen, Reopen.filter())
    router.callback_query.register(on_forget_confirmed, ForgetMe.filter())
    return router
