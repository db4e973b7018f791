"""What the workers share through Redis, put together for the dispatcher; per-process without it.

aiogram's RedisStorage and RedisEventIsolation raise when Redis is down, which would lose the
update being handled. Here each is wrapped: Redis is tried (unless it failed a moment ago) and
the in-memory storage or lock stands in when it does not answer. The in-process lock is always
taken as well, so one chat's updates stay in order inside a worker during an outage too.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiogram.fsm.storage.base import (
    BaseEventIsolation,
    BaseStorage,
    DefaultKeyBuilder,
    StateType,
    StorageKey,
)
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation
from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage

from bot.config import Settings
from bot.context import ChatMemory, ContextStore
from bot.storage.base import Store
from bot.storage.redis_state import (
    RedisClients,
    RedisHealth,
    RedisUnavailable,
    SharedContexts,
    SharedRateLimit,
    SharedReplies,
    connect,
)

log = logging.getLogger(__name__)
# How long a chat's lock outlives a worker killed while holding it (then another may go on).
LOCK_SECONDS = 60


class FallbackStorage(BaseStorage):
    """FSM state and data in Redis; in this process's memory while Redis does not answer."""

    def __init__(self, shared: RedisStorage, health: RedisHealth) -> None:
        self.shared, self.health, self.local = shared, health, MemoryStorage()

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        await self.local.set_state(key, state)  # kept here too: what an outage falls back to
        try:
            await self.health.acall(lambda: self.shared.set_state(key, state))
        except RedisUnavailable:
            pass

    async def get_state(self, key: StorageKey) -> str | None:
        try:
            return await self.health.acall(lambda: self.shared.get_state(key))
        except RedisUnavailable:
            return await self.local.get_state(key)

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self.local.set_data(key, data)
        try:
            await self.health.acall(lambda: self.shared.set_data(key, data))
        except RedisUnavailable:
            pass

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        try:
            return await self.health.acall(lambda: self.shared.get_data(key))
        except RedisUnavailable:
            return await self.local.get_data(key)

    async def close(self) -> None:
        await self.local.close()


class FallbackIsolation(BaseEventIsolation):
    """One update at a time per chat: across workers through a Redis lock, and always in-process."""

    def __init__(self, shared: RedisEventIsolation, health: RedisHealth) -> None:
        self.shared, self.health, self.local = shared, health, SimpleEventIsolation()

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncGenerator[None, None]:
        async with self.local.lock(key):
            redis_lock = self.shared.lock(key)
            held: AbstractAsyncContextManager[None] | None = redis_lock
            try:
                await self.health.acall(redis_lock.__aenter__)
            except RedisUnavailable:
                held = None  # handled with the in-process lock alone
            try:
                yield None
            finally:
                if held is not None:
                    try:
                        await self.health.acall(lambda: held.__aexit__(None, None, None))
                    except RedisUnavailable:
                        pass  # the lock expires by itself (LOCK_SECONDS)

    async def close(self) -> None:
        await self.local.close()


@dataclass
class SharedState:
    """FSM storage, event isolation, chat memory and, with Redis, its rate limit and reply cache."""

    storage: BaseStorage
    isolation: BaseEventIsolation
    memory: ChatMemory
    clients: RedisClients | None = None
    rate_limit: SharedRateLimit | None = None
    replies: SharedReplies | None = None

    @property
    def degraded(self) -> list[str]:
        """What runs on per-process state although it should be shared (for /healthz)."""
        return ["redis"] if self.clients is not None and not self.clients.health.up else []

    async def start(self) -> None:
        if self.clients is not None and await self.clients.check():
            log.info("shared state in Redis at %s", self.clients.health.where)

    async def close(self) -> None:
        await self.storage.close()
        if self.clients is not None:
            await self.clients.close()


def shared_state(settings: Settings, store: Store) -> SharedState:
    """Redis when ``HELPDESK_REDIS_URL`` is set (connected lazily: start() pings), else this process."""
    contexts: ContextStore = store
    if settings.redis_url is None:
        memory = ChatMemory(contexts, settings.context_minutes)
        return SharedState(MemoryStorage(), SimpleEventIsolation(), memory)
    clients = connect(settings.redis_url.get_secret_value(), settings.redis_retry_seconds)
    fsm = RedisStorage(clients.aio, key_builder=DefaultKeyBuilder(prefix="helpdesk:fsm"))
    isolation = fsm.create_isolation(lock_kwargs={"timeout": LOCK_SECONDS})
    contexts = SharedContexts(clients, store, settings.context_minutes * 60)
    return SharedState(
        FallbackStorage(fsm, clients.health),
        FallbackIsolation(isolation, clients.health),
        ChatMemory(contexts, settings.context_minutes),
        clients,
        SharedRateLimit(clients, settings.rate_limit_per_minute, settings.rate_limit_burst),
        SharedReplies(clients, settings.redis_cache_minutes * 60),
    )
