"""A citizen's side of the conversation, without Telegram: one call per message, one result back.

A handler in ``bot.telegram`` turns an update into one call here and renders the :class:`Turn`
that comes back. Here is everything between: the language the citizen chose, the link check,
the helpdesk's reply, the transcript (through the update's :class:`~bot.transcript.Transcript`),
the metrics, and the consent request before anything goes to a person.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, Protocol, cast

from bot.cases.tickets import Ticket, TicketError, TicketRequest, Tickets
from bot.context import ChatContext, ChatMemory, ContextualReplies, Read, after
from bot.dialogue import Helpdesk, Reply
from bot.links import domain_is_official, find_domains
from bot.redact import redact
from bot.serving import HelpdeskRef
from bot.storage.base import Store
from bot.transcript import Transcript
from intents.language import detect_language
from knowledge.common import LANGS
from retrieval.normalize import tokens

# The question on the operators' card: one Telegram message with the recent messages beside it,
# even in emoji (2 UTF-16 units each); the whole text stays in the transcript.
CARD_QUESTION_CHARS = 700
LINK_ONLY_WORDS = 3  # fewer words than this besides the links: the link check is the answer


class Citizen(NamedTuple):
    """Who wrote, and where the answer goes."""

    user_id: int
    chat_id: int
    first_name: str | None = None


@dataclass(frozen=True)
class LinkVerdict:
    domain: str
    official: bool


@dataclass(frozen=True)
class ConsentRequest:
    """A handoff waiting for the citizen's yes: the ticket the consent buttons name."""

    ticket_id: int
    lang: str


class Shown(NamedTuple):
    reply: Reply
    answer_id: int  # the stored reply; the 👍/👎 buttons refer to it


@dataclass(frozen=True)
class Turn:
    """What to say back, in order: link verdicts, the reply, then the consent question."""

    lang: str  # of what the bot says (an edit's notice included)
    links: tuple[LinkVerdict, ...] = ()
    links_lang: str = "az"  # the verdicts are in the citizen's chosen or written language
    shown: tuple[Shown, ...] = ()  # the replies, in order (several questions get several)
    consent: ConsentRequest | None = None
    with_person: bool = False  # the citizen already has an open case: a person is coming

    @property
    def reply(self) -> Reply | None:
        return self.shown[0].reply if self.shown else None

    @property
    def answer_id(self) -> int | None:
        return self.shown[0].answer_id if self.shown else None


@dataclass(frozen=True)
class ConsentAnswer:
    """What a press of the consent buttons comes to: ``stale`` (not this citizen's request, or no
    longer waiting), ``declined``, or ``open`` with the ticket to post to the operators."""

    outcome: Literal["stale", "declined", "open"]
    lang: str = "az"
    ticket: Ticket | None = None


class ReplyMetrics(Protocol):
    """Whatever counts messages and reply latencies (``bot.ops.monitoring.Metrics`` does)."""

    def count_message(self, direction: str) -> None: ...
    def observe_reply(self, action: str, seconds: float) -> None: ...


def _contextual_reply(helpdesk: Helpdesk, text: str, context: ChatContext | None, chosen: str | None) -> Read:
    """One message's replies, on a worker thread (never the event loop)."""
    return ContextualReplies(helpdesk).reply(text, context, chosen)


class Conversation:
    def __init__(
        self,
        helpdesk: HelpdeskRef,
        store: Store,
        tickets: Tickets,
        official_domains: tuple[str, ...] | list[str],
        metrics: ReplyMetrics | None = None,
        memory: ChatMemory | None = None,
    ) -> None:
        self.helpdesk, self.store, self.tickets = helpdesk, store, tickets
        self.official_domains, self.metrics, self.memory = tuple(official_domains), metrics, memory

    def greet(self, user_id: int, telegram_lang: str | None) -> str:
        """A citizen's /start: known from now on; the language to greet them in."""
        self.store.touch_user(user_id)
        return self.language(user_id, telegram_lang)

    def choose_language(self, user_id: int, lang: str) -> bool:
        """The citizen picked a language (False for one the helpdesk does not speak)."""
        if lang not in LANGS:
            return False
        self.store.set_language(user_id, lang)
        return True

    def export(self, user_id: int) -> str:
        """Everything kept about the citizen, as JSON (their /mydata); the request is audited."""
        data = json.dumps(self.store.export_user(user_id), ensure_ascii=False, indent=1, default=str)
        self.store.audit(user_id, "mydata")
        return data

    def rate_answer(self, user_id: int, answer_id: int, helpful: int) -> str | None:
        """A 👍/👎 on one of the citizen's own answers: the language to thank them in, or None
        when the button names no answer of theirs (forged, or someone else's)."""
        rows = [
            m
            for m in self.store.messages(user_id)
            if m["id"] == answer_id and m["direction"] == "out" and m["action"] == "answer"
        ]
        if not rows or helpful not in (0, 1):
            return None
        answer = rows[0]
        self.store.add_feedback(user_id, answer["id"], answer["topic"], answer["lang"], bool(helpful))
        return self.language(user_id, answer["lang"])

    def language(self, user_id: int, fallback: str | None = None) -> str:
        """The language the citizen chose, else ``fallback`` (their message's), else Azerbaijani."""
        return self.store.language(user_id) or (fallback if fallback in LANGS else "az")

    async def ask(self, citizen: Citizen, text: str, transcript: Transcript, *, edited: bool = False) -> Turn:
        """A citizen's message (or an edit of one): the link check, then the helpdesk's reply."""
        self.store.touch_user(citizen.user_id)
        chosen = self.store.language(citizen.user_id)
        domains = find_domains(text)
        links = tuple(LinkVerdict(d, domain_is_official(d, self.official_domains)) for d in domains[:3])
        links_lang = (chosen or detect_language(text).lang) if domains else "az"
        if domains:
            rest = text
            for domain in domains:
                rest = rest.replace(domain, " ")
            if len(tokens(rest)) < LINK_ONLY_WORDS:  # just a link: the verdict is the answer
                transcript.log(
                    citizen.user_id, citizen.chat_id, "in", text, lang=links_lang, action="link_check"
                )
                return Turn(links_lang, links, links_lang)
        helpdesk = self.helpdesk.current  # one helpdesk for the whole message, even across a reload
        context = self.memory.get(citizen.chat_id) if self.memory is not None else None
        # In a thread: the replies are CPU-bound (encoding), and the loop keeps serving others. The
        # ContextualReplies is made there too: making one reads the follow-up part model, which the
        # first message of a process trained on the event loop (seconds every chat waited).
        read = await asyncio.to_thread(_contextual_reply, helpdesk, text, context, chosen)
        first = read.replies[0]
        transcript.log(
            citizen.user_id,
            citizen.chat_id,
            "in",
            text,
            lang=first.lang,
            intent=first.intent,
            action=first.action,
            topic=first.service if first.action == "refer" else first.topic,
            confidence=first.confidence,
        )
        if self.metrics is not None and not edited:
            self.metrics.count_message("in")
            self.metrics.observe_reply(first.action, sum(r.latency_ms for r in read.replies) / 1000)
        shown = tuple(self._log_reply(citizen, reply, transcript) for reply in read.replies)
        if self.memory is not None:
            self.memory.keep(citizen.chat_id, citizen.user_id, read.context)
        # An edit's notice is in the citizen's language, read from the edited text if not chosen.
        lang = self.language(citizen.user_id, detect_language(text).lang) if edited else first.lang
        consent = None
        handoff = next((r for r in read.replies if r.action == "handoff"), None)
        if handoff is not None:
            consent = self._request_consent(
                citizen,
                handoff.lang,
                handoff.reason or "handoff",
                handoff.text,
                handoff.candidates,
                handoff.confidence,
            )
        return Turn(lang, links, links_lang, shown, consent)

    def cancel(self, citizen: Citizen) -> str:
        """/cancel: the chat starts afresh (no card in context); the language to say so in."""
        if self.memory is not None:
            self.memory.forget(citizen.chat_id)
        return self.language(citizen.user_id)

    def show(self, citizen: Citizen, reply: Reply, transcript: Transcript) -> Turn:
        """A reply chosen without a question (a card picked from the menu or a clarify's button):
        logged, and from now on the card in context."""
        if self.memory is not None:
            before = self.memory.get(citizen.chat_id)
            self.memory.keep(citizen.chat_id, citizen.user_id, after(reply, before))
        return Turn(reply.lang, shown=(self._log_reply(citizen, reply, transcript),))

    def _log_reply(self, citizen: Citizen, reply: Reply, transcript: Transcript) -> Shown:
        answer_id = transcript.log(
            citizen.user_id,
            citizen.chat_id,
            "out",
            reply.answer,
            lang=reply.lang,
            action=reply.action,
            intent=reply.intent,
            topic=reply.service if reply.action == "refer" else reply.topic,
            confidence=reply.confidence,
            latency_ms=reply.latency_ms,
        )
        return Shown(reply, answer_id)

    def request_person(self, citizen: Citizen, transcript: Transcript, said: str) -> Turn:
        """The citizen asked for a person (``said`` is how: "/operator", a button)."""
        lang = self.language(citizen.user_id)
        if self.tickets.active_for(citizen.user_id):
            return Turn(lang, with_person=True)
        question = self.last_question(citizen.user_id)  # before ``said`` joins the transcript
        transcript.log(
            citizen.user_id,
            citizen.chat_id,
            "in",
            said,
            lang=lang,
            action="handoff",
            intent="operator_request",
        )
        return Turn(
            lang, consent=self._request_consent(citizen, lang, "operator_request", question, [], None)
        )

    def relayed(
        self, citizen: Citizen, text: str, lang: str, transcript: Transcript, edit: bool = False
    ) -> None:
        """What a citizen sent to the person who has their case, kept in the transcript."""
        action = "relay_edit" if edit else "relay"
        transcript.log(citizen.user_id, citizen.chat_id, "in", text, lang=lang, action=action)

    # the citizen's case with a person ----------------------------------------------------------
    def consent(self, user_id: int, ticket_id: int, yes: bool, relay_enabled: bool) -> ConsentAnswer:
        """The citizen's yes or no to a handoff. A crash between opening the ticket and posting
        its card leaves it open but unseen by operators; a replayed (or repeated) yes finishes it."""
        ticket = self.tickets.get(ticket_id)
        if ticket is None or ticket.user_id != user_id:  # not mine
            return ConsentAnswer("stale")
        half_open = yes and relay_enabled and ticket.state == "open" and ticket.card_message_id is None
        if ticket.state != "consent" and not half_open:
            return ConsentAnswer("stale")
        if not yes:
            self.tickets.decline(ticket.id, user_id)
            return ConsentAnswer("declined", ticket.lang)
        if not half_open:
            self.store.set_consent(user_id)
            ticket = self.tickets.open(ticket.id, user_id)
        return ConsentAnswer("open", ticket.lang, ticket)

    def rate_case(self, user_id: int, ticket_id: int, stars: int) -> str | None:
        """Stars for a closed case of the citizen's own: the language to thank them in, or None."""
        if not self.tickets.rate(ticket_id, user_id, stars):
            return None
        ticket = cast(Ticket, self.tickets.get(ticket_id))  # rate() found it
        self.store.audit(user_id, "rated", ticket.id, str(stars))
        return ticket.lang

    def reopen_case(self, user_id: int, ticket_id: int) -> Ticket | None:
        """The citizen's own closed case, open again (None if there is none to reopen)."""
        try:
            ticket = self.tickets.reopen(ticket_id, user_id)
        except TicketError:
            return None
        self.store.audit(user_id, "reopened", ticket.id)
        return ticket

    def end_case(self, user_id: int) -> Ticket | None:
        """Before /forget: the citizen's open case is closed (the operators are to be told)."""
        ticket = self.tickets.active_for(user_id)
        if ticket is not None:
            self.tickets.close(ticket.id)
        return ticket

    def forget(self, citizen: Citizen) -> str:
        """/forget confirmed: everything kept about the citizen is deleted; the language to say so."""
        lang = self.language(citizen.user_id)
        self.store.forget_user(citizen.user_id)
        self.store.audit(None, "forget", None, "a citizen's data deleted on request")
        if self.memory is not None:
            self.memory.forget(citizen.chat_id)
        return lang

    def last_question(self, user_id: int) -> str:
        asked = [
            m["text"]
            for m in self.store.messages(user_id)
            if m["direction"] == "in" and not m["text"].startswith("/")
        ]
        return asked[-1] if asked else ""

    def _request_consent(
        self,
        citizen: Citizen,
        lang: str,
        reason: str,
        question: str,
        candidates: list[dict[str, Any]],
        confidence: float | None,
    ) -> ConsentRequest:
        """Before anything goes to a person, the citizen says yes: a ticket waits for it."""
        sector = None
        if candidates:
            article = self.helpdesk.current.kb.by_topic.get(candidates[0]["topic"])
            sector = article.sector if article else None
        # A Telegram name is free text (people put phone numbers in it): redacted like any text.
        # The question is redacted before it is cut, so no identifier is cut in half and missed.
        name = redact(citizen.first_name or "")
        question = redact(question)
        if len(question) > CARD_QUESTION_CHARS:
            question = question[:CARD_QUESTION_CHARS] + "…"
        ticket_id = self.tickets.request(
            TicketRequest(
                citizen.user_id, citizen.chat_id, name, lang, sector, reason, question, candidates, confidence
            )
        )
        return ConsentRequest(ticket_id, lang)
