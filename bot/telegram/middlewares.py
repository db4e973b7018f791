"""Cross-cutting work only: a per-citizen rate limit, and Telegram's 429 honoured on every request."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiogram import BaseMiddleware
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import Message, TelegramObject

from bot.serving import HelpdeskRef
from bot.texts import t

log = logging.getLogger(__name__)


class TokenBucket:
    """``burst`` messages at once, refilled at ``per_minute`` a minute."""

    def __init__(self, per_minute: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        if per_minute <= 0 or burst < 1:
            raise ValueError("per_minute must be > 0 and burst >= 1")
        self.rate, self.burst, self.clock = per_minute / 60.0, burst, clock
        self.tokens: dict[int, tuple[float, float]] = {}

    def take(self, key: int) -> bool:
        now = self.clock()
        tokens, last = self.tokens.get(key, (float(self.burst), now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens < 1:
            self.tokens[key] = (tokens, now)
            return False
        self.tokens[key] = (tokens - 1, now)
        return True


class SharedLimit(Protocol):
    async def take(self, key: int) -> bool | None:
        """True to let a message in, False to drop it, None when the shared counter is unavailable."""


class RateLimitMiddleware(BaseMiddleware):
    """Drops a citizen's messages past the limit, with one friendly warning per burst."""

    def __init__(self, per_minute: float, burst: int, shared: SharedLimit | None = None) -> None:
        self.bucket = TokenBucket(per_minute, burst)
        self.shared = shared  # counted across workers (Redis); this process's bucket when it fails
        self.warned: set[int] = set()

    async def take(self, user_id: int) -> bool:
        allowed = await self.shared.take(user_id) if self.shared is not None else None
        return self.bucket.take(user_id) if allowed is None else allowed

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user = getattr(event, "from_user", None)
        if not isinstance(event, Message) or user is None:
            return await handler(event, data)
        if await self.take(user.id):
            self.warned.discard(user.id)
            return await handler(event, data)
        if user.id not in self.warned:
            self.warned.add(user.id)
            store = data.get("store")
            lang = (store.language(user.id) if store else None) or "az"
            await event.answer(t("rate_limited", lang))
        return None


class RetryAfterMiddleware(BaseRequestMiddleware):
    """On 429 wait ``retry_after`` seconds and send again, so no reply is lost to flood control."""

    def __init__(self, attempts: int = 5, max_wait: float = 60.0) -> None:
        self.attempts, self.max_wait = attempts, max_wait

    async def __call__(
        self, make_request: NextRequestMiddlewareType[TelegramType], bot, method: TelegramMethod[TelegramType]
    ):
        for attempt in range(1, self.attempts + 1):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                if attempt == self.attempts:
                    raise
                log.warning(
                    "Telegram flood control on %r: retrying in %r s (attempt %r)",
                    type(method).__name__,
                    exc.retry_after,
                    attempt,
                )
                await asyncio.sleep(min(exc.retry_after, self.max_wait))
        raise AssertionError("unreachable")  # pragma: no cover


class ServingMiddleware(BaseMiddleware):
    """Hands each update the helpdesk served when it arrived (``helpdesk``): a reload swaps the
    reference for the next update, never under a handler that is running."""

    def __init__(self, serving: HelpdeskRef) -> None:
        self.serving = serving

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        data["helpdesk"] = self.serving.current
        return await handler(event, data)
