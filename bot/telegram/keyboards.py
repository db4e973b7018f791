"""Inline keyboards and their callback data (each under Telegram's 64-byte limit)."""

from __future__ import annotations

from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder
from pydantic import Field

from bot.dialogue import Reply
from bot.texts import t as ui
from knowledge.loader import KnowledgeBase

# A row id of ours fits SQLite's INTEGER; a bigger number in callback data is forged, and is
# refused when unpacked (the stale-button answer) instead of overflowing a query.
RowId = Annotated[int, Field(ge=0, le=2**63 - 1)]

LANG_NAMES = {"az": "🇦🇿 Azərbaycanca", "ru": "🇷🇺 Русский", "en": "🇬🇧 English"}


class LangChoice(CallbackData, prefix="l"):
    lang: str


class TopicChoice(CallbackData, prefix="t"):
    topic: str


class SectorChoice(CallbackData, prefix="s"):
    sector: str


class Feedback(CallbackData, prefix="f"):
    message: RowId  # our messages.id of the answer
    helpful: int  # 1 or 0


class TalkToPerson(CallbackData, prefix="o"):
    pass


class ServicesPage(CallbackData, prefix="sp"):
    """A page of the directory services (no article yet) of one sector, from /menu."""

    sector: str
    page: Annotated[int, Field(ge=0, le=1000)]


class ServiceChoice(CallbackData, prefix="v"):
    service: str


SERVICES_PER_PAGE = 8


def language_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for code, name in LANG_NAMES.items():
        builder.button(text=name, callback_data=LangChoice(lang=code))
    builder.adjust(3)
    return builder.as_markup()


def answer_keyboard(reply: Reply, lang: str, stored_id: int | None) -> InlineKeyboardMarkup:
    """Official links as URL buttons, then 👍/👎 and "talk to a person"."""
    builder = InlineKeyboardBuilder()
    for link in reply.links:
        builder.row(InlineKeyboardButton(text=f"🔗 {link['title']}"[:64], url=link["url"]))
    if reply.action == "answer" and stored_id is not None:
        builder.row(
            InlineKeyboardButton(text="👍", callback_data=Feedback(message=stored_id, helpful=1).pack()),
            InlineKeyboardButton(text="👎", callback_data=Feedback(message=stored_id, helpful=0).pack()),
        )
    if reply.action != "handoff":
        builder.row(
            InlineKeyboardButton(text=ui("talk_to_person", lang), callback_data=TalkToPerson().pack())
        )
    return builder.as_markup()


def clarify_keyboard(kb: KnowledgeBase, topics: list[str], lang: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for topic in topics:
        if topic in kb.by_topic:
            builder.row(
                InlineKeyboardButton(
                    text=kb.by_topic[topic].title[lang][:64], callback_data=TopicChoice(topic=topic).pack()
                )
            )
    builder.row(InlineKeyboardButton(text=ui("talk_to_person", lang), callback_data=TalkToPerson().pack()))
    return builder.as_markup()


def menu_sectors(kb: KnowledgeBase) -> list[str]:
    """Sectors with an article or a directory service, in coverage order, then the others."""
    present = {a.sector for a in kb.articles} | {e.sector for e in kb.services}
    ordered = [s for s in kb.coverage.sectors if s in present]
    return ordered + sorted(present - set(ordered))


def sectors_keyboard(kb: KnowledgeBase, lang: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for sector in menu_sectors(kb):
        builder.button(text=ui(f"sector_{sector}", lang), callback_data=SectorChoice(sector=sector))
    builder.adjust(2)
    return builder.as_markup()


def sector_services(kb: KnowledgeBase, sector: str, lang: str) -> list:
    return sorted((e for e in kb.services if e.sector == sector), key=lambda e: e.name[lang])


def topics_keyboard(kb: KnowledgeBase, sector: str, lang: str) -> InlineKeyboardMarkup:
    """The sector's articles, then "more services" when the directory has others there."""
    builder = InlineKeyboardBuilder()
    for article in kb.articles:
        if article.sector == sector:
            builder.row(
                InlineKeyboardButton(
                    text=article.title[lang][:64], callback_data=TopicChoice(topic=article.topic).pack()
                )
            )
    if sector_services(kb, sector, lang):
        builder.row(
            InlineKeyboardButton(
                text=ui("more_services", lang), callback_data=ServicesPage(sector=sector, page=0).pack()
            )
        )
    return builder.as_markup()


def services_keyboard(kb: KnowledgeBase, sector: str, page: int, lang: str) -> InlineKeyboardMarkup:
    """One page of the sector's directory services, with a "more" button while there are more."""
    services = sector_services(kb, sector, lang)
    builder = InlineKeyboardBuilder()
    start = page * SERVICES_PER_PAGE
    for entry in services[start : start + SERVICES_PER_PAGE]:
        builder.row(
            InlineKeyboardButton(
                text=entry.name[lang][:64], callback_data=ServiceChoice(service=entry.id).pack()
            )
        )
    if start + SERVICES_PER_PAGE < len(services):
        builder.row(
            InlineKeyboardButton(
                text=ui("more_services", lang),
                callback_data=ServicesPage(sector=sector, page=page + 1).pack(),
            )
        )
    return builder.as_markup()


class Consent(CallbackData, prefix="h"):
    ticket: RowId
    yes: int


class Rating(CallbackData, prefix="r"):
    ticket: RowId
    stars: int


class Reopen(CallbackData, prefix="ro"):
    ticket: RowId


def consent_keyboard(ticket_id: int, lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=ui("consent_yes", lang), callback_data=Consent(ticket=ticket_id, yes=1).pack()
                ),
                InlineKeyboardButton(
                    text=ui("consent_no", lang), callback_data=Consent(ticket=ticket_id, yes=0).pack()
                ),
            ]
        ]
    )


def rating_keyboard(ticket_id: int, lang: str) -> InlineKeyboardMarkup:
    stars = [
        InlineKeyboardButton(text=f"{n}⭐", callback_data=Rating(ticket=ticket_id, stars=n).pack())
        for n in range(1, 6)
    ]
    return InlineKeyboardMarkup(
        inline_keyboard=[
            stars,
            [InlineKeyboardButton(text=ui("reopen", lang), callback_data=Reopen(ticket=ticket_id).pack())],
        ]
    )


class ForgetMe(CallbackData, prefix="fg"):
    pass


def forget_keyboard(lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=ui("forget_yes", lang), callback_data=ForgetMe().pack())]]
    )
