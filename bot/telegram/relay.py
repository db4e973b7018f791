"""Handing a citizen to a person: tickets, forum topics and the relay both ways.

Everything that must not be lost goes through SQLite first: a ticket before its topic is created,
a relayed message as a ``pending`` outbox row before it is sent. A background loop resends what
failed, and the same loop picks up where a restarted bot left off.
"""

from __future__ import annotations

import asyncio
import html
import logging
from typing import cast

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.cards import article_links
from bot.cases.hours import WorkingHours
from bot.cases.tickets import Ticket, Tickets
from bot.config import Settings
from bot.dialogue import Helpdesk
from bot.serving import HelpdeskRef
from bot.storage.base import Store
from bot.texts import t

log = logging.getLogger(__name__)
LANG_LABEL = {"az": "AZ", "ru": "RU", "en": "EN"}


class Handoff:
    def __init__(self, store: Store, settings: Settings, helpdesk: HelpdeskRef) -> None:
        self.store = store
        self.tickets = Tickets(store)
        self.settings = settings
        self.helpdesk_ref = helpdesk
        self.hours: WorkingHours = settings.working_hours()
        self.chat_id = settings.operators_chat_id
        self.forum = True  # set at start-up from getChat; False → reply-based relay

    @property
    def helpdesk(self) -> Helpdesk:
        """The helpdesk served now (its knowledge base names the candidates on a card)."""
        return self.helpdesk_ref.current

    @property
    def enabled(self) -> bool:
        return self.chat_id is not None

    async def check_group(self, bot: Bot) -> None:
        """At start: does the operators' group have forum topics? Say so if not."""
        chat_id = self.chat_id
        if chat_id is None:  # not self.enabled
            log.warning(
                "HELPDESK_OPERATORS_CHAT_ID is not set: handoffs are recorded but nobody receives them"
            )
            return
        try:
            chat = await bot.get_chat(chat_id)
            self.forum = bool(getattr(chat, "is_forum", False))
        except TelegramAPIError as exc:
            log.error("cannot read the operators' chat %r: %r", chat_id, exc)
            return
        except Exception as exc:  # an answer that does not parse: the citizens are served all the same
            log.error("unexpected answer reading the operators' chat %r: %r", chat_id, exc)
            return
        if not self.forum:
            log.warning("the operators' chat has no forum topics: using reply-based relay")
            await self._safe_send(bot, chat_id, t("ops_no_forum", "az"))

    # the card ------------------------------------------------------------------------------------
    def card(self, ticket: Ticket) -> str:
        candidates = ticket.candidates
        lines = [
            f"🎫 <b>#{ticket.id}</b> · {LANG_LABEL.get(ticket.lang, ticket.lang)} · "
            f"{html.escape(ticket.sector or '—')} · {html.escape(ticket.reason)}",
            f"👤 {html.escape(ticket.first_name or '—')}",
            f"❓ {html.escape(ticket.question)}",
        ]
        if candidates:
            shown = ", ".join(f"{html.escape(c['topic'])} {c['score']:.2f}" for c in candidates)
            lines.append(f"🤖 confidence {ticket.confidence or 0:.2f}: {shown}")
        recent = [m for m in self.store.messages(ticket.user_id) if m["direction"] == "in"][-5:]
        if recent:
            lines.append("🕘 " + " | ".join(html.escape(m["text"][:200]) for m in recent))
        if ticket.reason == "complaint":
            lines.insert(1, "⚠️ <b>COMPLAINT</b>")
        lines.append("/take · /note · /close · /release · /transfer · /kb")
        return "\n".join(lines)

    def topic_name(self, ticket: Ticket) -> str:
        lang = LANG_LABEL.get(ticket.lang, ticket.lang)
        return f"#{ticket.id} · {lang} · {ticket.sector or 'general'}"[:128]

    # opening ------------------------------------------------------------------------------------
    async def open(self, bot: Bot, ticket: Ticket) -> str:
        """Create the topic and the card, then tell the citizen what happens next (their language)."""
        chat_id = self.chat_id
        if chat_id is not None:  # self.enabled
            # A topic made by a run that died before posting the card is used, not made again.
            thread_id = ticket.thread_id
            if self.forum and thread_id is None:
                try:
                    topic = await bot.create_forum_topic(chat_id, self.topic_name(ticket))
                    thread_id = topic.message_thread_id
                    self.tickets.set_topic(ticket.id, thread_id, None)
                except TelegramBadRequest as exc:  # topics switched off since start-up
                    log.warning("cannot create a forum topic (%r): reply-based relay", exc)
                    self.forum = False
            card = await self._safe_send(bot, chat_id, self.card(ticket), thread_id=thread_id)
            self.tickets.set_topic(ticket.id, thread_id, card.message_id if card else None)
        self.store.audit(ticket.user_id, "ticket_opened", ticket.id, ticket.reason)
        return self.waiting_text(ticket)

    def waiting_text(self, ticket: Ticket) -> str:
        lang = ticket.lang
        if not self.enabled:
            return t("handoff_unavailable", lang)
        if not self.hours.is_open():
            back = self.hours.next_open()
            return t("handoff_after_hours", lang).format(when=back.strftime("%d.%m %H:%M"))
        position = self.tickets.queue_position(ticket.id)
        per_ticket = self.tickets.median_wait_seconds(self.settings.minutes_per_ticket * 60)
        minutes = max(1, round(position * per_ticket / 60))
        return t("handoff_queued", lang).format(position=position, minutes=minutes)

    # relay --------------------------------------------------------------------------------------
    async def to_operators(self, bot: Bot, ticket: Ticket, message) -> None:
        if not self.enabled:
            return
        relay_id = self.tickets.queue_relay(
            ticket.id,
            "to_operators",
            message.chat.id,
            message.message_id,
            message.from_user.id,
            message.text or message.caption,
        )
        if relay_id is not None:
            await self.deliver(bot, relay_id)

    async def to_citizen(self, bot: Bot, ticket: Ticket, message) -> bool:
        relay_id = self.tickets.queue_relay(
            ticket.id,
            "to_citizen",
            message.chat.id,
            message.message_id,
            message.from_user.id,
            message.text or message.caption,
        )
        if relay_id is None:
            return False
        self.store.audit(message.from_user.id, "reply", ticket.id)
        await self.deliver(bot, relay_id)
        return True

    async def deliver(self, bot: Bot, relay_id: int) -> bool:
        row = self.tickets.lease_relay(relay_id)
        if row is None:  # being sent by the other path, or already sent
            return False
        ticket = cast(Ticket, self.tickets.get(row.ticket_id))  # a relay row belongs to a ticket
        if row.direction == "to_operators":
            # (queued by to_operators only while the operators' chat is set)
            target, thread = cast(int, self.chat_id), ticket.thread_id
            reply_to = ticket.card_message_id if thread is None else None
        else:
            target, thread, reply_to = ticket.chat_id, None, None
        try:
            copied = await bot.copy_message(
                chat_id=target,
                from_chat_id=row.from_chat_id,
                message_id=row.message_id,
                message_thread_id=thread,
                reply_to_message_id=reply_to,
            )
        except TelegramForbiddenError as exc:  # the citizen blocked the bot: retrying cannot help
            self.tickets.relay_failed(row.id, repr(exc), give_up_after=1)
            log.warning("relay %r refused for good: %r", row.id, exc)
            return False
        except (TimeoutError, TelegramAPIError, OSError) as exc:
            self.tickets.relay_failed(row.id, repr(exc), self.settings.relay_attempts)
            log.warning("relay %r failed, will retry: %r", row.id, exc)
            return False
        self.tickets.relay_sent(row.id, copied.message_id)
        return True

    async def retry_pending(self, bot: Bot) -> int:
        """Resend every pending relay (oldest first); returns how many went through."""
        sent = 0
        for row in self.tickets.pending_relays():
            sent += await self.deliver(bot, row.id)
        return sent

    async def remind_unclaimed(self, bot: Bot) -> int:
        """Tickets nobody took in time: send the likely links and promise the case stays open."""
        reminded = 0
        for ticket in self.tickets.unclaimed_older_than(self.settings.handoff_timeout_minutes * 60):
            candidates = ticket.candidates
            links = []
            for c in candidates[:2]:
                article = self.helpdesk.kb.by_topic.get(c["topic"])
                if article:
                    links += article_links(article, ticket.lang)
            markup = InlineKeyboardMarkup(
                inline_keyboard=[
                    [InlineKeyboardButton(text=f"🔗 {link['title']}"[:64], url=link["url"])]
                    for link in links[:4]
                ]
            )
            if await self._safe_send(
                bot,
                ticket.chat_id,
                t("handoff_still_open", ticket.lang),
                markup=markup if links else None,
            ):
                self.tickets.mark_reminded(ticket.id)
                reminded += 1
        return reminded

    async def run_background(self, bot: Bot, every: float = 5.0) -> None:
        """The loop that resends failed relays and reminds waiting citizens, until cancelled."""
        while True:
            try:
                await self.retry_pending(bot)
                await self.remind_unclaimed(bot)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # keep the loop alive whatever one round met
                log.error("handoff background round failed: %r", exc)
            await asyncio.sleep(every)

    async def _safe_send(self, bot: Bot, chat_id: int, text: str, thread_id: int | None = None, markup=None):
        try:
            return await bot.send_message(chat_id, text, message_thread_id=thread_id, reply_markup=markup)
        except TelegramAPIError as exc:
            log.error("could not send to chat %r: %r", chat_id, exc)
            return None

    async def post_to_ticket(self, bot: Bot, ticket: Ticket, text: str) -> None:
        """A service line in the ticket's topic (or under its card in reply-based mode)."""
        chat_id = self.chat_id
        if chat_id is None:  # not self.enabled
            return
        try:
            await bot.send_message(
                chat_id,
                text,
                message_thread_id=ticket.thread_id,
                reply_to_message_id=ticket.card_message_id if ticket.thread_id is None else None,
            )
        except TelegramAPIError as exc:
            log.error("could not post to ticket %r: %r", ticket.id, exc)
