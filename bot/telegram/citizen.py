"""The citizens' router: private chats with the bot.

Services arrive by dependency injection from the Dispatcher (``helpdesk``, ``store``,
``settings``); nothing here reads globals. Handlers are registered by :func:`make_router` so every
Dispatcher (the bot, each test) gets routers of its own.
"""

from __future__ import annotations

import html
import logging
from typing import cast

from aiogram import Bot, F, Router
from aiogram.enums import ChatType
from aiogram.filters import BaseFilter, Command, CommandStart
from aiogram.types import CallbackQuery, InaccessibleMessage, Message, User
from aiogram.utils.chat_action import ChatActionSender

from bot.cases.tickets import TicketError
from bot.config import Settings
from bot.dialogue import Helpdesk, Reply
from bot.redact import redact
from bot.storage.sqlite import Store
from bot.telegram.keyboards import (
    SERVICES_PER_PAGE,
    Consent,
    Feedback,
    ForgetMe,
    LangChoice,
    Rating,
    Reopen,
    SectorChoice,
    ServiceChoice,
    ServicesPage,
    TalkToPerson,
    TopicChoice,
    answer_keyboard,
    clarify_keyboard,
    consent_keyboard,
    forget_keyboard,
    language_keyboard,
    menu_sectors,
    sector_services,
    sectors_keyboard,
    services_keyboard,
    topics_keyboard,
)
from bot.telegram.relay import Handoff
from bot.telegram.render import domain_is_official, find_domains, reply_html, split_message
from bot.texts import t
from intents.language import detect_language
from knowledge.loader import LANGS
from retrieval.normalize import tokens

log = logging.getLogger(__name__)
CARD_QUESTION_CHARS = 700  # even in emoji (2 UTF-16 units each) the card stays under 4096
# The message under a pressed button; one too old for the bot to read comes as an
# InaccessibleMessage, which still has its chat and can still be answered there.
ButtonMessage = Message | InaccessibleMessage


def sender(message: Message) -> User:
    """Who wrote a private-chat message: Telegram always says (only channel posts have no sender)."""
    return cast(User, message.from_user)


def button_message(callback: CallbackQuery) -> ButtonMessage:
    """The message under the button: make_router's private-chat filter passes no callback without one."""
    return cast(ButtonMessage, callback.message)


def user_lang(store: Store, user_id: int, fallback: str | None = None) -> str:
    """The language the citizen chose, else the one of their last message, else Azerbaijani."""
    chosen = store.language(user_id)
    return chosen or (fallback if fallback in LANGS else "az")


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
        user_id, message.chat.id, name, lang, sector, reason, question, candidates, confidence
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


async def on_menu(message: Message, store: Store, helpdesk: Helpdesk) -> None:
    lang = user_lang(store, sender(message).id)
    await message.answer(t("menu", lang), reply_markup=sectors_keyboard(helpdesk.kb, lang))


def last_question(store: Store, user_id: int) -> str:
    asked = [
        m["text"] for m in store.messages(user_id) if m["direction"] == "in" and not m["text"].startswith("/")
    ]
    return asked[-1] if asked else ""


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


async def on_forget_confirmed(callback: CallbackQuery, bot: Bot, store: Store, handoff: Handoff) -> None:
    user_id = callback.from_user.id
    lang = user_lang(store, user_id)
    ticket = handoff.tickets.active_for(user_id)
    if ticket is not None:  # operators are told the case is gone, not left waiting
        handoff.tickets.close(ticket["id"])
        await handoff.post_to_ticket(
            bot,
            ticket,
            f"🗑 #{ticket['id']}: the citizen used /forget; the case is closed and its data deleted",
        )
    store.forget_user(user_id)
    store.audit(None, "forget", None, "a citizen's data deleted on request")
    await callback.answer()
    await button_message(callback).answer(t("forgotten", lang))


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
    message: Message, bot: Bot, store: Store, handoff: Handoff, ticket: dict
) -> None:
    """While a ticket is open, whatever the citizen sends (text, photo, file) goes to the topic."""
    store.log_message(
        sender(message).id,
        message.chat.id,
        "in",
        message.text or message.caption or f"[{message.content_type}]",
        lang=ticket["lang"],
        action="relay",
    )
    await handoff.to_operators(bot, ticket, message)


async def on_edit_to_operator(
    message: Message, bot: Bot, store: Store, handoff: Handoff, ticket: dict
) -> None:
    """A citizen corrected a message while a person has the case: the person sees the new text,
    not a bot answer to it."""
    text = message.text or message.caption or ""
    store.log_message(
        sender(message).id, message.chat.id, "in", text, lang=ticket["lang"], action="relay_edit"
    )
    excerpt = text if len(text) <= 3000 else text[:3000] + "…"
    await handoff.post_to_ticket(
        bot, ticket, f"✏️ #{ticket['id']}: the citizen edited a message:\n{html.escape(excerpt)}"
    )


async def on_not_text(message: Message, store: Store) -> None:
    """Voice, photo, sticker, document, location…: say what the bot can read."""
    caption = message.caption or ""
    lang = user_lang(store, sender(message).id, detect_language(caption).lang if caption else None)
    await message.answer(t("non_text", lang))


# buttons -------------------------------------------------------------------------------------
async def on_lang_choice(callback: CallbackQuery, callback_data: LangChoice, store: Store) -> None:
    if callback_data.lang not in LANGS:
        await on_stale_button(callback, store)
        return
    store.set_language(callback.from_user.id, callback_data.lang)
    await callback.answer()
    await button_message(callback).answer(t("lang_set", callback_data.lang))


async def on_sector_choice(
    callback: CallbackQuery, callback_data: SectorChoice, store: Store, helpdesk: Helpdesk
) -> None:
    if callback_data.sector not in menu_sectors(helpdesk.kb):
        await on_stale_button(callback, store)
        return
    lang = user_lang(store, callback.from_user.id)
    await callback.answer()
    await button_message(callback).answer(
        t("menu_sector", lang), reply_markup=topics_keyboard(helpdesk.kb, callback_data.sector, lang)
    )


async def on_topic_choice(
    callback: CallbackQuery, callback_data: TopicChoice, store: Store, helpdesk: Helpdesk
) -> None:
    article = helpdesk.kb.by_topic.get(callback_data.topic)
    if article is None:
        await on_stale_button(callback, store)
        return
    lang = user_lang(store, callback.from_user.id)
    reply = helpdesk.card_reply(article, lang, text=f"[button] {article.topic}")
    await callback.answer()
    await send_reply(button_message(callback), callback.from_user.id, reply, store, helpdesk)


async def on_services_page(
    callback: CallbackQuery, callback_data: ServicesPage, store: Store, helpdesk: Helpdesk
) -> None:
    lang = user_lang(store, callback.from_user.id)
    if callback_data.page * SERVICES_PER_PAGE >= len(
        sector_services(helpdesk.kb, callback_data.sector, lang)
    ):
        await on_stale_button(callback, store)
        return
    await callback.answer()
    await button_message(callback).answer(
        t("menu_services", lang),
        reply_markup=services_keyboard(helpdesk.kb, callback_data.sector, callback_data.page, lang),
    )


async def on_service_choice(
    callback: CallbackQuery, callback_data: ServiceChoice, store: Store, helpdesk: Helpdesk
) -> None:
    entry = helpdesk.kb.directory.by_id.get(callback_data.service)
    if entry is None:
        await on_stale_button(callback, store)
        return
    lang = user_lang(store, callback.from_user.id)
    reply = helpdesk.service_reply(entry, lang, text=f"[button] {entry.id}")
    await callback.answer()
    await send_reply(button_message(callback), callback.from_user.id, reply, store, helpdesk)


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
    if ticket is None or ticket["user_id"] != user_id:  # not mine
        await on_stale_button(callback, store)
        return
    # A crash between opening the ticket and posting its card leaves it open but unseen by
    # operators; the replayed (or repeated) "yes" finishes the job.
    half_open = (
        callback_data.yes
        and handoff.enabled
        and ticket["state"] == "open"
        and ticket["card_message_id"] is None
    )
    if ticket["state"] != "consent" and not half_open:
        await on_stale_button(callback, store)
        return
    await callback.answer()
    if not callback_data.yes:
        handoff.tickets.decline(ticket["id"], user_id)
        await button_message(callback).answer(t("consent_declined", ticket["lang"]))
        return
    if not half_open:
        store.set_consent(user_id)
        ticket = handoff.tickets.open(ticket["id"], user_id)
    await button_message(callback).answer(await handoff.open(bot, ticket))


async def on_rating(callback: CallbackQuery, callback_data: Rating, store: Store, handoff: Handoff) -> None:
    if not handoff.tickets.rate(callback_data.ticket, callback.from_user.id, callback_data.stars):
        await on_stale_button(callback, store)
        return
    ticket = cast(dict, handoff.tickets.get(callback_data.ticket))  # rate() found it
    store.audit(callback.from_user.id, "rated", ticket["id"], str(callback_data.stars))
    await callback.answer(t("rating_thanks", ticket["lang"]))


async def on_reopen(
    callback: CallbackQuery, callback_data: Reopen, bot: Bot, store: Store, handoff: Handoff
) -> None:
    try:
        ticket = handoff.tickets.reopen(callback_data.ticket, callback.from_user.id)
    except TicketError:
        await on_stale_button(callback, store)
        return
    store.audit(callback.from_user.id, "reopened", ticket["id"])
    await callback.answer()
    await handoff.post_to_ticket(bot, ticket, f"🔄 #{ticket['id']} reopened by the citizen")
    await button_message(callback).answer(t("reopened", ticket["lang"]))


async def on_stale_button(callback: CallbackQuery, store: Store) -> None:
    """Forged, outdated or unknown callback data: a polite word, never an exception."""
    await callback.answer(t("stale_button", user_lang(store, callback.from_user.id)), show_alert=False)


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
    router.message.register(on_menu, Command("menu"))
    router.message.register(on_operator, Command("operator"))
    router.message.register(on_cancel, Command("cancel"))
    router.message.register(on_mydata, Command("mydata"))
    router.message.register(on_forget, Command("forget"))
    router.message.register(on_message_to_operator, HasOpenTicket())
    router.message.register(on_text, F.text)
    router.message.register(on_not_text)  # anything else a private chat can carry
    router.edited_message.register(on_edit_to_operator, HasOpenTicket())
    router.edited_message.register(on_edited, F.text)

    router.callback_query.register(on_lang_choice, LangChoice.filter())
    router.callback_query.register(on_sector_choice, SectorChoice.filter())
    router.callback_query.register(on_topic_choice, TopicChoice.filter())
    router.callback_query.register(on_services_page, ServicesPage.filter())
    router.callback_query.register(on_service_choice, ServiceChoice.filter())
    router.callback_query.register(on_feedback, Feedback.filter())
    router.callback_query.register(on_talk_to_person, TalkToPerson.filter())
    router.callback_query.register(on_consent, Consent.filter())
    router.callback_query.register(on_rating, Rating.filter())
    router.callback_query.register(on_reopen, Reopen.filter())
    router.callback_query.register(on_forget_confirmed, ForgetMe.filter())
    router.callback_query.register(on_stale_button)  # last: whatever else arrives
    return router
