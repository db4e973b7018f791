"""The browsing router: ``/menu``, its sectors and topics, and the "more services" pages.

Private chats only (router-level filters). Every callback here has a prefix of its own, so the
router can come anywhere before the citizens' catch-all router; ``app.py`` includes it first.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.conversation import Conversation
from bot.dialogue import Helpdesk, Reply
from bot.telegram.keyboards import (
    SERVICES_PER_PAGE,
    SectorChoice,
    ServiceChoice,
    ServicesPage,
    TopicChoice,
    menu_sectors,
    sector_services,
    sectors_keyboard,
    services_keyboard,
    topics_keyboard,
)
from bot.telegram.replies import button_message, on_stale_button, presser_of, send_turn, sender
from bot.texts import t
from bot.transcript import Transcript


async def show_chosen(
    callback: CallbackQuery,
    reply: Reply,
    conversation: Conversation,
    helpdesk: Helpdesk,
    transcript: Transcript,
) -> None:
    """A card or service picked by a button: logged, in context from now on, and sent."""
    await callback.answer()
    turn = conversation.show(presser_of(callback), reply, transcript)
    await send_turn(button_message(callback), turn, helpdesk)


async def on_menu(message: Message, conversation: Conversation, helpdesk: Helpdesk) -> None:
    lang = conversation.language(sender(message).id)
    await message.answer(t("menu", lang), reply_markup=sectors_keyboard(helpdesk.kb, lang))


async def on_sector_choice(
    callback: CallbackQuery, callback_data: SectorChoice, conversation: Conversation, helpdesk: Helpdesk
) -> None:
    if callback_data.sector not in menu_sectors(helpdesk.kb):
        await on_stale_button(callback, conversation)
        return
    lang = conversation.language(callback.from_user.id)
    await callback.answer()
    await button_message(callback).answer(
        t("menu_sector", lang), reply_markup=topics_keyboard(helpdesk.kb, callback_data.sector, lang)
    )


async def on_topic_choice(
    callback: CallbackQuery,
    callback_data: TopicChoice,
    conversation: Conversation,
    helpdesk: Helpdesk,
    transcript: Transcript,
) -> None:
    article = helpdesk.kb.by_topic.get(callback_data.topic)
    if article is None:
        await on_stale_button(callback, conversation)
        return
    lang = conversation.language(callback.from_user.id)
    reply = helpdesk.card_reply(article, lang, text=f"[button] {article.topic}")
    await show_chosen(callback, reply, conversation, helpdesk, transcript)


async def on_services_page(
    callback: CallbackQuery, callback_data: ServicesPage, conversation: Conversation, helpdesk: Helpdesk
) -> None:
    lang = conversation.language(callback.from_user.id)
    if callback_data.page * SERVICES_PER_PAGE >= len(
        sector_services(helpdesk.kb, callback_data.sector, lang)
    ):
        await on_stale_button(callback, conversation)
        return
    await callback.answer()
    await button_message(callback).answer(
        t("menu_services", lang),
        reply_markup=services_keyboard(helpdesk.kb, callback_data.sector, callback_data.page, lang),
    )


async def on_service_choice(
    callback: CallbackQuery,
    callback_data: ServiceChoice,
    conversation: Conversation,
    helpdesk: Helpdesk,
    transcript: Transcript,
) -> None:
    entry = helpdesk.kb.directory.by_id.get(callback_data.service)
    if entry is None:
        await on_stale_button(callback, conversation)
        return
    lang = conversation.language(callback.from_user.id)
    reply = helpdesk.service_reply(entry, lang, text=f"[button] {entry.id}")
    await show_chosen(callback, reply, conversation, helpdesk, transcript)


def make_router() -> Router:
    router = Router(name="citizen-menu")
    router.message.filter(F.chat.type == ChatType.PRIVATE)
    router.callback_query.filter(F.message.chat.type == ChatType.PRIVATE)

    router.message.register(on_menu, Command("menu"))
    router.callback_query.register(on_sector_choice, SectorChoice.filter())
    router.callback_query.register(on_topic_choice, TopicChoice.filter())
    router.callback_query.register(on_services_page, ServicesPage.filter())
    router.callback_query.register(on_service_choice, ServiceChoice.filter())
    return router
