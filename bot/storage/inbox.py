"""The inbox: every update is written down before Telegram is told it arrived, and replayed
after a crash.

Telegram forgets an update once the bot acknowledges it (the next ``getUpdates`` offset, or the
webhook's 200). aiogram acknowledges a batch while its handlers still run, so a process killed
mid-handling would lose those messages. Here each update is recorded first (``received``),
claimed by exactly one handler (``handling``), and marked ``done`` when the handler returns.
At start-up, whatever a dead process left unfinished is replayed; an update that already failed
``max_attempts`` times is set aside (``failed``) so one poisonous message cannot crash-loop
the bot.

Among many workers on one database each claim is leased to its worker (``owner``: host, pid and
a random part) and the lease is renewed while the worker lives; a worker's recovery then takes
only what a dead one left — claims whose lease ran out, and updates recorded but never claimed
for ``stale_after`` seconds — never a live worker's (see bot/telegram/durable.py).

The stored copy is redacted (texts, captions, names, phone numbers) and dropped once handled:
a replayed question is answered from its redacted text, and operators still receive the
original through ``copyMessage``, which needs only the message's id.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from typing import Any, NamedTuple, Protocol

from bot.redact import redact
from bot.storage.base import Store
from bot.transcript import Transcript

log = logging.getLogger(__name__)
# Fields a citizen writes; everything else in an update is ids, dates and flags.
FREE_TEXT_KEYS = frozenset(
    {
        "text",
        "caption",
        "first_name",
        "last_name",
        "username",
        "phone_number",
        "title",
        "question",
        "address",
        "vcard",
        "bio",
    }
)
# Entity offsets would no longer match the redacted text.
DROPPED_KEYS = frozenset({"entities", "caption_entities"})


class Recovery(NamedTuple):
    """What a start-up found left over by the previous process."""

    replay: list[dict]  # redacted update payloads to handle again, oldest first
    given_up: list[int]  # update ids that failed too often and are set aside


def redacted_payload(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: redacted_payload(v, k) for k, v in value.items() if k not in DROPPED_KEYS}
    if isinstance(value, list):
        return [redacted_payload(v, key) for v in value]
    if isinstance(value, str) and key in FREE_TEXT_KEYS:
        return redact(value)
    return value


class TelegramUpdate(Protocol):
    """An update as aiogram parses it; the inbox needs its id and its JSON form, not aiogram."""

    update_id: int

    def model_dump(self, *, mode: str, by_alias: bool, exclude_none: bool) -> dict[str, Any]: ...


def new_owner() -> str:
    """This worker's name in the inbox: unique across machines, restarts and reused pids."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class Inbox:
    """``stale_after`` None: one process owns the database and replays all that is unfinished at
    its start. A number: one of many workers, which replays only what a dead worker left."""

    def __init__(
        self,
        store: Store,
        max_attempts: int = 3,
        *,
        owner: str | None = None,
        lease_seconds: float = 60.0,
        stale_after: float | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if lease_seconds <= 0:
            raise ValueError("lease_seconds must be positive")
        self.store, self.max_attempts = store, max_attempts
        self.owner = owner or new_owner()
        self.lease_seconds, self.stale_after = lease_seconds, stale_after

    def record(self, update: TelegramUpdate | dict[str, Any]) -> bool:
        """Write an update down (before it is acknowledged); False if it was already known."""
        raw = (
            update
            if isinstance(update, dict)
            else update.model_dump(mode="json", by_alias=True, exclude_none=True)
        )
        update_id = raw.get("update_id")
        if not isinstance(update_id, int):
            raise ValueError("an update needs an integer update_id")
        return self.store.record_update(update_id, redacted_payload(raw))

    def claim(self, update: TelegramUpdate) -> Transcript | None:
        """Take an update for handling: the transcript its handler writes to, or None if another
        handler has it or it is finished.

        An update fed without being recorded (tests, a direct ``feed_update``) is recorded here.
        Claiming a replay removes, in the same transaction, the transcript rows its interrupted
        run wrote, so the handler starts clean and nothing is logged twice.
        """
        if self.state(update.update_id) is None:
            self.record(update)
        if not self.store.claim_update(update.update_id, self.owner, self.lease_seconds):
            return None
        return Transcript(self.store, update.update_id)

    def finish(self, update_id: int, failed: bool = False) -> None:
        self.store.finish_update(update_id, failed)

    def release(self, update_id: int) -> None:
        """Hand an interrupted update back (shutdown cancelled its handler): it is replayed."""
        self.store.release_update(update_id)

    def renew(self) -> int:
        """Keep this worker's claims its own for another lease; how many it holds."""
        return self.store.renew_claims(self.owner, self.lease_seconds)

    def recover(self) -> Recovery:
        """What is left unfinished: at a lone process's start-up (before any handler runs) all of
        it; among many workers, at any time, only what dead workers left."""
        replay, given_up = self.store.recover_updates(self.max_attempts, self.stale_after)
        for update_id in given_up:
            log.error("update %r failed %r times: set aside", update_id, self.max_attempts)
        return Recovery(replay, given_up)

    def counts(self) -> dict[str, int]:
        return self.store.inbox_counts()

    def state(self, update_id: int) -> str | None:
        return self.store.update_state(update_id)
