"""What the bot asks of its database: the ``Store`` protocol every backend implements.

The rest of the bot (handlers, tickets, the inbox, reports, metrics) talks to a store only through
these methods; the SQL behind them lives in ``bot.storage`` (SQLite today). Tickets, relays and
drafts come back as the dataclasses of :mod:`bot.cases.model`; other rows (citizens, transcript,
reports) as plain dicts keyed by column name. Text is redacted by the store before it is written: a backend
never holds a raw identifier. Each method is one transaction, and one writer runs at a time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

# The one module of bot.cases that storage may import: plain dataclasses that import no storage
# (contract ticket-model-below-storage), so the store builds them and the cases' rules stay there.
from bot.cases.model import Draft, Relay, Ticket, TicketRequest


class Store(Protocol):
    """The helpdesk's database; safe to share between asyncio tasks and threads."""

    def close(self) -> None: ...

    def ping(self) -> None:
        """Raise unless the database answers (for /healthz)."""

    # citizens ------------------------------------------------------------------------------------
    def touch_user(self, user_id: int, lang: str | None = None) -> None: ...
    def set_language(self, user_id: int, lang: str) -> None: ...
    def set_consent(self, user_id: int) -> None: ...
    def user(self, user_id: int) -> dict | None: ...
    def language(self, user_id: int) -> str | None: ...

    # transcript, feedback, audit -----------------------------------------------------------------
    def log_message(
        self,
        user_id: int,
        chat_id: int,
        direction: str,
        text: str,
        *,
        lang: str | None = None,
        action: str | None = None,
        intent: str | None = None,
        topic: str | None = None,
        confidence: float | None = None,
        latency_ms: float | None = None,
        update_id: int | None = None,
    ) -> int:
        """Append to the transcript; the row's id. ``update_id`` is the update being handled
        (see :class:`bot.transcript.Transcript`): a replay of it removes the row."""

    def messages(self, user_id: int) -> list[dict]: ...
    def add_feedback(
        self, user_id: int, message_id: int | None, topic: str | None, lang: str | None, helpful: bool
    ) -> bool: ...
    def feedback(self) -> list[dict]: ...
    def audit(
        self, actor_id: int | None, action: str, ticket_id: int | None = None, detail: str = ""
    ) -> None: ...
    def audit_log(self) -> list[dict]: ...

    # what a chat is about (bot.context): no personal data, only topic ids and a language ----------
    def chat_context(self, chat_id: int) -> tuple[dict[str, Any], float] | None:
        """The chat's saved context and when it was saved (epoch seconds), or None."""

    def save_chat_context(self, chat_id: int, user_id: int, context: dict[str, Any]) -> None: ...
    def clear_chat_context(self, chat_id: int) -> None: ...

    # a citizen's rights, retention, backup -------------------------------------------------------
    def export_user(self, user_id: int) -> dict: ...
    def forget_user(self, user_id: int) -> dict: ...
    def purge_older_than(self, days: int) -> int: ...
    def backup(self, target: Path | str) -> dict: ...

    # tickets (the state rules are bot.cases.tickets'; these only write what they decided) -------
    def replace_consent_request(self, request: TicketRequest) -> int:
        """A new ticket in state ``consent``, its id; in the same transaction every older request of
        the citizen still waiting for consent becomes ``declined``."""

    def ticket(self, ticket_id: int) -> Ticket | None: ...
    def active_ticket(self, user_id: int) -> Ticket | None:
        """The citizen's newest open or claimed ticket."""

    def ticket_by_thread(self, thread_id: int) -> Ticket | None: ...
    def ticket_by_operator_message(self, message_id: int) -> Ticket | None:
        """The ticket whose card or relayed copy is the operators' message ``message_id``."""

    def tickets_in(self, states: tuple[str, ...]) -> list[Ticket]: ...
    def unclaimed_tickets(self, opened_before: float) -> list[Ticket]:
        """Open, never reminded about, and opened before the timestamp."""

    def open_tickets_up_to(self, ticket_id: int) -> int:
        """How many open tickets have an id up to ``ticket_id`` (its place in the queue)."""

    def active_ticket_count(self) -> int: ...
    def recent_claim_waits(self, last: int) -> list[float]:
        """Seconds from opened to claimed of the last ``last`` claimed tickets, newest first."""

    def open_ticket(self, ticket_id: int) -> None: ...
    def decline_ticket(self, ticket_id: int, user_id: int) -> None:
        """Declined, if it is the citizen's and still waiting for consent."""

    def set_ticket_topic(
        self, ticket_id: int, thread_id: int | None, card_message_id: int | None
    ) -> None: ...
    def claim_ticket(
        self, ticket_id: int, operator_id: int, operator_name: str, held_by: int | None = None
    ) -> bool:
        """Give an active ticket to the operator if it is still held by ``held_by`` (None: nobody);
        False when another claim came first. One conditional write, so of two operators pressing
        "take" at once on two workers exactly one wins."""
        ...

    def release_ticket(self, ticket_id: int) -> None: ...
    def close_ticket(self, ticket_id: int) -> None: ...
    def reopen_ticket(self, ticket_id: int) -> None: ...
    def rate_ticket(self, ticket_id: int, rating: int) -> None: ...
    def mark_ticket_reminded(self, ticket_id: int) -> None: ...

    # relay outbox and operators' drafts ----------------------------------------------------------
    def queue_relay(
        self,
        ticket_id: int,
        direction: str,
        from_chat_id: int,
        message_id: int,
        sender_id: int | None,
        text: str | None,
    ) -> int | None:
        """A pending relay's id; None if that message is already queued."""

    def lease_relay(self, relay_id: int, seconds: float) -> Relay | None:
        """Take a pending (or expired) relay for sending; None if someone else has it or it is done."""

    def relay_sent(self, relay_id: int, copied_message_id: int | None) -> None: ...
    def relay_failed(self, relay_id: int, error: str, give_up_after: int) -> None: ...
    def pending_relays(self) -> list[Relay]: ...
    def relays(self, ticket_id: int) -> list[Relay]: ...
    def last_operator_reply(self, ticket_id: int) -> Relay | None: ...
    def add_draft(self, ticket_id: int, operator_id: int, lang: str, question: str, answer: str) -> int: ...
    def drafts(self) -> list[Draft]: ...

    # the durable inbox ---------------------------------------------------------------------------
    def record_update(self, update_id: int, payload: dict[str, Any]) -> bool:
        """Keep a (redacted) update as ``received``; False if its id is already known."""

    def claim_update(self, update_id: int, owner: str = "", lease_seconds: float = 300.0) -> bool:
        """Take a ``received`` update, or a ``handling`` one whose lease has expired (its worker
        died), for handling by ``owner`` until now + ``lease_seconds``; attempts += 1, and a
        replay's earlier transcript rows go. Atomic: of any number of concurrent callers, in
        any number of processes, exactly one gets True."""

    def renew_claims(self, owner: str, lease_seconds: float) -> int:
        """Heartbeat: the leases of ``owner``'s ``handling`` updates run until now +
        ``lease_seconds``; how many there were."""

    def finish_update(self, update_id: int, failed: bool = False) -> None:
        """``done`` (or ``failed``); its payload, owner and lease go."""

    def release_update(self, update_id: int) -> None:
        """``handling`` → ``received`` without an owner, to be replayed."""

    def recover_updates(
        self, max_attempts: int, stale_after: float | None = None
    ) -> tuple[list[dict[str, Any]], list[int]]:
        """What to replay, oldest first, and the ids set aside (``failed``: a ``handling`` update
        that already had ``max_attempts`` attempts).

        ``stale_after`` None, at a single process's start-up: everything unfinished (every
        ``handling`` update goes back to ``received``). A number, among many workers: only what
        a dead worker left — ``handling`` updates whose lease has expired, and ``received`` ones
        recorded more than ``stale_after`` seconds ago; a live worker's claims are left alone."""

    def inbox_counts(self) -> dict[str, int]: ...
    def update_state(self, update_id: int) -> str | None: ...

    # versions every worker follows (the knowledge base served, after a reload) ------------------
    def published_version(self) -> str | None:
        """The index version published last, or None before any."""

    def publish_version(self, version: str) -> None:
        """Every worker moves to ``version`` (see bot/ops/reload.py)."""

    # editors' reports ----------------------------------------------------------------------------
    def gap_messages(self, since: float) -> list[dict]:
        """Citizens' questions since the timestamp that ended in handoff/clarify or out of scope."""

    def disliked_questions(self, since: float) -> list[dict]:
        """The question before each answer given a 👎 since the timestamp."""

    def referred_services(self, since: float) -> list[tuple[str, int]]:
        """Directory services referred to since the timestamp, with counts, most asked first."""

    def usage_messages(self, since: float) -> list[dict]:
        """Citizens' questions since the timestamp (created_at, action, topic, lang)."""

    def feedback_votes(self, since: float) -> list[dict]:
        """👍/👎 since the timestamp (topic, lang, helpful, created_at)."""

    # staff accounts and console sessions (bot.web.staff decides; these only keep rows) ----------
    # Staff rows are not citizens' data: forget_user leaves them, backups keep them, and
    # purge_older_than deletes only sessions already expired.
    def add_staff(self, name: str, role: str, password_hash: str, lang: str, created_at: float) -> bool:
        """A new staff account; False (and nothing written) if the name is taken."""

    def staff(self, name: str) -> dict | None:
        """The account's row: id, name, role, password_hash, disabled, failed_logins,
        locked_until, lang, created_at."""

    def staff_list(self) -> list[dict]:
        """Every account's row, by name."""

    def update_staff(self, name: str, /, **fields: Any) -> bool:
        """Set columns of an account (role, password_hash, disabled, failed_logins, locked_until,
        lang); ValueError for any other; False if there is no such account."""

    def add_staff_session(
        self, token_hash: str, staff_name: str, csrf_token: str, created_at: float, expires_at: float
    ) -> None: ...
    def staff_session(self, token_hash: str) -> dict | None:
        """The session's row (token_hash, staff_name, csrf_token, created_at, expires_at) or None."""

    def delete_staff_sessions(
        self,
        *,
        token_hash: str | None = None,
        staff_name: str | None = None,
        expired_before: float | None = None,
    ) -> int:
        """Delete the sessions matching every given criterion (at least one); how many went."""
