"""The buttons router: language, feedback, "talk to a person", consent, rating, reopen, /forget's yes.

Private chats only (a router-level filter). Callbacks only; each kind has a prefix of its own, and
whatever none of them matches falls through to the stale-button catch-all of
:mod:`bot.telegram.citizen`, whose router ``app.py`` includes last.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.enums import ChatType
from aiogram.types import CallbackQuery

from bot.conversation import Conversation
from bot.dialogue import Helpdesk
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
    callback: CallbackQuery, callback_data: Consent, bot: Bot, handoff: Handoff, conversation: Conversation
) -> None:
    yes = bool(callback_data.yes)
    answer = conversation.consent(callback.from_user.id, callback_data.ticket, yes, handoff.enabled)
    if answer.outcome == "stale":
        await on_stale_button(callback, conversation)
        return
    await callback.answer()
    if answer.ticket is None:  # declined
        await button_message(callback).answer(t("consent_declined", answer.lang))
        return
    await button_message(callback).answer(await handoff.open(bot, answer.ticket))


async def on_rating(callback: CallbackQuery, callback_data: Rating, conversation: Conversation) -> None:
    lang = conversation.rate_case(callback.from_user.id, callback_data.ticket, callback_data.stars)
    if lang is None:
        await on_stale_button(callback, conversation)
        return
    await callback.answer(t("rating_thanks", lang))


async def on_reopen(
    callback: CallbackQuery, callback_data: Reopen, bot: Bot, handoff: Handoff, conversation: Conversation
) -> None:
    ticket = conversation.reopen_case(callback.from_user.id, callback_data.ticket)
    if ticket is None:
        await on_stale_button(callback, conversation)
        return
    await callback.answer()
    await handoff.post_to_ticket(bot, ticket, f"🔄 #{ticket.id} reopened by the citizen")
    await button_message(callback).answer(t("reopened", ticket.lang))


async def on_forget_confirmed(
    callback: CallbackQuery, bot: Bot, handoff: Handoff, conversation: Conversation
) -> None:
    ended = conversation.end_case(callback.from_user.id)
    if ended is not None:  # operators are told the case is gone, not left waiting
        await handoff.post_to_ticket(
            bot, ended, f"🗑 #{ended.id}: the citizen used /forget; the case is closed and its data deleted"
        )
    lang = conversation.forget(presser_of(callback))
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
