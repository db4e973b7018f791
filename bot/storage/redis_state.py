"""State shared by the workers through Redis (``HELPDESK_REDIS_URL``): the chat context, the reply
cache and the per-citizen rate limit; the Telegram layer puts aiogram's FSM storage and event
isolation on the same connection.

Redis down means slower, never wrong: every part here says "unavailable" instead of raising, and
its caller uses the per-process state. :class:`RedisHealth` is shared by all of them: it logs a
change once (not per message), feeds the ``helpdesk_redis_up`` gauge, and after a failure skips
Redis for ``retry_seconds`` so an outage does not cost a timeout per message.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit, urlunsplit

import redis
import redis.asyncio
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

log = logging.getLogger(__name__)
T = TypeVar("T")
# Redis not answering (refused, reset, timed out, wrong password): the outage we fall back from.
OUTAGE = (RedisConnectionError, RedisTimeoutError, OSError)
PREFIX = "helpdesk:"


def safe_redis_url(url: str) -> str:
    """The URL with its password (and user) replaced, for logs."""
    parts = urlsplit(url)
    if parts.password is None and parts.username is None:
        return url
    host = parts.hostname or ""
    netloc = f"***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


class RedisUnavailable(Exception):
    """Redis was skipped or failed for this call: use the per-process state."""


class RedisHealth:
    """Whether Redis answers, as every part using it saw last; thread-safe (the reply cache runs
    in worker threads)."""

    def __init__(self, url: str, retry_seconds: float = 2.0, clock: Callable[[], float] = time.monotonic):
        self.where, self.retry_seconds, self.clock = safe_redis_url(url), retry_seconds, clock
        self.up: bool | None = None  # None: not tried yet
        self.retry_at = 0.0
        self._lock = threading.Lock()

    @property
    def gauge(self) -> int:
        return 1 if self.up else 0

    def should_try(self) -> bool:
        return self.up is not False or self.clock() >= self.retry_at

    def succeeded(self) -> None:
        with self._lock:
            if self.up is False:
                log.warning("Redis at %s answers again: shared state is back in use", self.where)
            self.up = True

    def failed(self, exc: BaseException) -> None:
        with self._lock:
            if self.up is not False:
                log.error("Redis at %s unreachable (%r): per-process state until it answers", self.where, exc)
            self.up = False
            self.retry_at = self.clock() + self.retry_seconds

    def _give_up(self, exc: BaseException) -> RedisUnavailable:
        if isinstance(exc, OUTAGE):
            self.failed(exc)
        else:  # Redis answered, with an error (a lock that expired, a wrong type): not an outage
            log.warning("Redis at %s refused a command: %r", self.where, exc)
        return RedisUnavailable(repr(exc))

    def call(self, command: Callable[[], T]) -> T:
        """``command()`` against Redis, or RedisUnavailable."""
        if not self.should_try():
            raise RedisUnavailable("skipped: Redis was down a moment ago")
        try:
            result = command()
        except (RedisError, OSError) as exc:
            raise self._give_up(exc) from exc
        self.succeeded()
        return result

    async def acall(self, command: Callable[[], Awaitable[T]]) -> T:
        """The same for a coroutine of redis.asyncio."""
        if not self.should_try():
            raise RedisUnavailable("skipped: Redis was down a moment ago")
        try:
            result = await command()
        except (RedisError, OSError) as exc:
            raise self._give_up(exc) from exc
        self.succeeded()
        return result


@dataclass
class RedisClients:
    """One URL, two clients (blocking for the threads and the sync core, asyncio for aiogram)."""

    health: RedisHealth
    sync: redis.Redis
    aio: redis.asyncio.Redis

    async def check(self) -> bool:
        """Ping once (at start): sets the gauge and logs an outage before any citizen writes."""
        try:
            await self.health.acall(self.aio.ping)
        except RedisUnavailable:
            return False
        return True

    async def close(self) -> None:
        await self.aio.aclose()
        self.sync.close()


def connect(url: str, retry_seconds: float = 2.0, timeout: float = 1.0) -> RedisClients:
    """Clients for ``url`` (nothing is sent yet). Short timeouts and one immediate retry: a
    pooled connection that died with a restarted server is replaced, a dead server is not waited on."""
    options: dict[str, Any] = dict(socket_connect_timeout=timeout / 2, socket_timeout=timeout)
    return RedisClients(
        RedisHealth(url, retry_seconds),
        redis.Redis.from_url(url, retry=Retry(NoBackoff(), 1), **options),
        redis.asyncio.Redis.from_url(url, retry=AsyncRetry(NoBackoff(), 1), **options),
    )


class ContextStore(Protocol):
    """bot.context.ContextStore, restated: the storage layer imports none of the core's modules."""

    def chat_context(self, chat_id: int) -> tuple[dict[str, Any], float] | None: ...
    def save_chat_context(self, chat_id: int, user_id: int, context: dict[str, Any]) -> None: ...
    def clear_chat_context(self, chat_id: int) -> None: ...


class SharedContexts:
    """A ``ContextStore`` in Redis (keys expire with the context), written through to ``durable``
    (the store's table): a Redis miss or outage reads the durable copy, so nothing is lost.

    Contexts saved or cleared while Redis was down are remembered and their keys deleted once
    it answers again, so an older copy left in Redis is never read back (a /forget stays done).
    """

    def __init__(self, clients: RedisClients, durable: ContextStore, ttl_seconds: float) -> None:
        self.clients, self.durable = clients, durable
        self.ttl = max(1, int(ttl_seconds))
        self._unsynced: set[int] = set()
        self._lock = threading.Lock()

    @staticmethod
    def key(chat_id: int) -> str:
        return f"{PREFIX}context:{chat_id}"

    def _sync_missed(self) -> None:
        with self._lock:
            missed, self._unsynced = self._unsynced, set()
        if missed:
            try:
                self.clients.health.call(lambda: self.clients.sync.delete(*map(self.key, missed)))
            except RedisUnavailable:
                with self._lock:
                    self._unsynced |= missed

    def chat_context(self, chat_id: int) -> tuple[dict[str, Any], float] | None:
        try:
            self._sync_missed()
            raw = self.clients.health.call(lambda: self.clients.sync.get(self.key(chat_id)))
        except RedisUnavailable:
            raw = None
        if isinstance(raw, bytes | str):
            try:
                saved = json.loads(raw)
                return dict(saved["context"]), float(saved["saved_at"])
            except (ValueError, KeyError, TypeError):
                log.warning("unreadable context in Redis for a chat; reading the durable copy")
        return self.durable.chat_context(chat_id)

    def save_chat_context(self, chat_id: int, user_id: int, context: dict[str, Any]) -> None:
        self.durable.save_chat_context(chat_id, user_id, context)
        value = json.dumps({"context": context, "saved_at": time.time()}, ensure_ascii=False)
        try:
            self._sync_missed()
            self.clients.health.call(lambda: self.clients.sync.set(self.key(chat_id), value, ex=self.ttl))
        except RedisUnavailable:
            with self._lock:
                self._unsynced.add(chat_id)

    def clear_chat_context(self, chat_id: int) -> None:
        self.durable.clear_chat_context(chat_id)
        try:
            self.clients.health.call(lambda: self.clients.sync.delete(self.key(chat_id)))
        except RedisUnavailable:
            with self._lock:
                self._unsynced.add(chat_id)


class SharedReplies:
    """The helpdesk's reply cache in Redis (``bot.dialogue.ReplyCache``): JSON under keys that
    expire after ``ttl_seconds``. A miss and an outage look the same: the reply is computed."""

    def __init__(self, clients: RedisClients, ttl_seconds: float) -> None:
        self.clients, self.ttl = clients, max(1, int(ttl_seconds))

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            raw = self.clients.health.call(lambda: self.clients.sync.get(f"{PREFIX}reply:{key}"))
        except RedisUnavailable:
            return None
        if not isinstance(raw, bytes | str):
            return None
        try:
            data = json.loads(raw)
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def put(self, key: str, reply: dict[str, Any]) -> None:
        value = json.dumps(reply, ensure_ascii=False)
        try:
            self.clients.health.call(
                lambda: self.clients.sync.set(f"{PREFIX}reply:{key}", value, ex=self.ttl)
            )
        except RedisUnavailable:
            pass


# A token bucket per citizen, read and written in one step on the server (scripts run atomically),
# timed by the server's clock so workers on several machines agree. Returns 1 to let a message in.
_TAKE = """
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local saved = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(saved[1]) or burst
local at = tonumber(saved[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return allowed
"""


class SharedRateLimit:
    """``burst`` messages at once per citizen, refilled at ``per_minute``, counted across workers."""

    def __init__(self, clients: RedisClients, per_minute: float, burst: int) -> None:
        if per_minute <= 0 or burst < 1:
            raise ValueError("per_minute must be > 0 and burst >= 1")
        self.clients, self.rate, self.burst = clients, per_minute / 60.0, burst
        self._take = clients.aio.register_script(_TAKE)

    async def take(self, key: int) -> bool | None:
        """True to let the message in, False to drop it; None when Redis is unavailable."""
        try:
            allowed = await self.clients.health.acall(
                lambda: self._take(keys=[f"{PREFIX}rate:{key}"], args=[self.rate, self.burst])
            )
        except RedisUnavailable:
            return None
        return bool(int(allowed))
