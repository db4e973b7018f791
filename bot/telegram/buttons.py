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
from bot.storage.sqlite import Store
from bot.telegram.keyboards import Consent, Feedback, ForgetMe, LangChoice, Rating, Reopen, TalkToPerson
from bot.telegram.relay import Handoff
from bot.telegram.replies import ask_consent, button_message, last_question, on_stale_button, user_lang
from bot.texts import t
from knowledge.loader import LANGS


async def on_lang_choice(callback: CallbackQuery, callback_data: LangChoice, store: Store) -> None:
    if callback_data.lang not in LANGS:
        await on_stale_button(callback, store)
        return
    store.set_language(callback.from_user.id, callback_data.lang)
    await callback.answer()
    await button_message(callback).answer(t("lang_set", callback_data.lang))


async def on_feedback(callback: CallbackQuery, callback_data: Feedback, store: Store) -> None:
    user_id = callback.from_user.id
    rows = [
        m
        for m in store.messages(user_id)
        if m["id"] == callback_data.message and m["direction"] == "out" and m["action"] == "answer"
    ]
    if not rows or callback_data.helpful not in (0, 1):  # forged or someone else's answer
        await on_stale_button(callback, store)
        return
    answer = rows[0]
    store.add_feedback(user_id, answer["id"], answer["topic"], answer["lang"], bool(callback_data.helpful))
    await callback.answer(t("feedback_thanks", user_lang(store, user_id, answer["lang"])))


async def on_talk_to_person(callback: CallbackQuery, store: Store, handoff: Handoff) -> None:
    user, origin = callback.from_user, button_message(callback)
    lang = user_lang(store, user.id)
    await callback.answer()
    if handoff.tickets.active_for(user.id):
        await origin.answer(t("operator_soon", lang))
        return
    question = last_question(store, user.id)
    store.log_message(
        user.id,
        origin.chat.id,
        "in",
        "[button] operator",
        lang=lang,
        action="handoff",
        intent="operator_request",
    )
    await ask_consent(origin, user.id, handoff, lang, "operator_request", question, [], None, user.first_name)


async def on_consent(
    callback: CallbackQuery, callback_data: Consent, bot: Bot, store: Store, handoff: Handoff
) -> None:
    user_id = callback.from_user.id
    ticket = handoff.tickets.get(callback_data.ticket)
    if ticket is None or ticket.user_id != user_id:  # not mine
        await on_stale_button(callback, store)
        return
    # A crash between opening the ticket and posting its card leaves it open but unseen by
    # operators; the replayed (or repeated) "yes" finishes the job.
    half_open = (
        callback_data.yes and handoff.enabled and ticket.state == "open" and ticket.card_message_id is None
    )
    if ticket.state != "consent" and not half_open:
        await on_stale_button(callback, store)
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


async def on_rating(callback: CallbackQuery, callback_data: Rating, store: Store, handoff: Handoff) -> None:
    if not handoff.tickets.rate(callback_data.ticket, callback.from_user.id, callback_data.stars):
        await on_stale_button(callback, store)
        return
    ticket = cast(Ticket, handoff.tickets.get(callback_data.ticket))  # rate() found it
    store.audit(callback.from_user.id, "rated", ticket.id, str(callback_data.stars))
    await callback.answer(t("rating_thanks", ticket.lang))


async def on_reopen(
    callback: CallbackQuery, callback_data: Reopen, bot: Bot, store: Store, handoff: Handoff
) -> None:
    try:
        ticket = handoff.tickets.reopen(callback_data.ticket, callback.from_user.id)
    except TicketError:
        await on_stale_button(callback, store)
        return
    store.audit(callback.from_user.id, "reopened", ticket.id)
    await callback.answer()
    await handoff.post_to_ticket(bot, ticket, f"🔄 #{ticket.id} reopened by the citizen")
    await button_message(callback).answer(t("reopened", ticket.lang))


async def on_forget_confirmed(callback: CallbackQuery, bot: Bot, store: Store, handoff: Handoff) -> None:
    user_id = callback.from_user.id
    lang = user_lang(store, user_id)
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
