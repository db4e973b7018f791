"""One update's share of the transcript, handed to its handler by the inbox.

Every row a handler writes carries the id of the update being handled, so that when a crash
interrupts the handler and the update is replayed, the rows of the interrupted attempt can be
removed (the store does that when the replay claims the update) and nothing is logged twice.
The inbox makes one :class:`Transcript` per claimed update; without an inbox (the terminal
chat, a direct call) the rows carry no update id.
"""

from __future__ import annotations

from typing import TypedDict, Unpack

from bot.storage.base import Store


class MessageFields(TypedDict, total=False):
    """What a transcript row may say besides its text (``Store.log_message``'s keywords)."""

    lang: str | None
    action: str | None
    intent: str | None
    topic: str | None
    confidence: float | None
    latency_ms: float | None


class Transcript:
    def __init__(self, store: Store, update_id: int | None = None) -> None:
        self.store, self.update_id = store, update_id

    def log(
        self, user_id: int, chat_id: int, direction: str, text: str, **fields: Unpack[MessageFields]
    ) -> int:
        """Append a message (redacted by the store), tagged with this update; the row's id."""
        return self.store.log_message(user_id, chat_id, direction, text, **fields, update_id=self.update_id)
