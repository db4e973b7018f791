"""Telegram's side of a webhook, for tests and benchmarks on loopback (never used by the bot).

:class:`WebhookPusher` takes each update pushed into a :class:`~bot.telegram.fake_server.FakeTelegram`
and POSTs it to the bot's webhook URL with the secret header, as Telegram does: up to
``max_connections`` requests at once, and an update that gets anything but a 200 — an error
status, a refused or dropped connection, a timeout — is sent again until one does. One chat's
updates go one at a time, in order (the next only after the previous one's 200), which is what
lets replies keep a chat's order when several workers share the port.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from typing import Any

import aiohttp

from bot.telegram.fake_server import FakeTelegram

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def chat_of(update: dict[str, Any]) -> int:
    """The chat an update belongs to (a button press: the presser's chat)."""
    for key in ("message", "edited_message", "channel_post"):
        if key in update:
            return int(update[key]["chat"]["id"])
    if "callback_query" in update:
        query = update["callback_query"]
        return int((query.get("message") or {}).get("chat", {}).get("id") or query["from"]["id"])
    return 0


class WebhookPusher:
    def __init__(
        self,
        fake: FakeTelegram,
        url: str,
        secret: str,
        *,
        max_connections: int = 40,
        retry_delay: float = 0.05,
        timeout: float = 60.0,
        new_connections: bool = False,
    ) -> None:
        # new_connections: a connection per POST, so SO_REUSEPORT spreads them over the workers
        # (a kept-alive connection stays with the worker that accepted it)
        self.fake, self.url, self.secret = fake, url, secret
        self.new_connections = new_connections
        self.retry_delay, self.timeout = retry_delay, timeout
        self._slots = asyncio.Semaphore(max_connections)
        self._queues: defaultdict[int, asyncio.Queue[dict[str, Any]]] = defaultdict(asyncio.Queue)
        self._chats: dict[int, asyncio.Task[None]] = {}
        self._taken = 0  # how many of fake.updates are queued here
        self._reader: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self.attempts: defaultdict[int, int] = defaultdict(int)  # update_id -> POSTs made
        self.failures: defaultdict[int, int] = defaultdict(int)  # update_id -> POSTs without a 200
        self.acknowledged: dict[int, float] = {}  # update_id -> when its 200 came (monotonic)

    async def start(self) -> WebhookPusher:
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(force_close=self.new_connections)
        )
        self._reader = asyncio.create_task(self._read())
        return self

    async def stop(self) -> None:
        tasks = [t for t in (self._reader, *self._chats.values()) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()

    def pending(self) -> int:
        """Updates pushed into the fake that have not had their 200 yet."""
        return sum(1 for u in self.fake.updates if u["update_id"] not in self.acknowledged)

    async def _read(self) -> None:
        while True:
            while self._taken < len(self.fake.updates):
                update = self.fake.updates[self._taken]
                self._taken += 1
                chat = chat_of(update)
                self._queues[chat].put_nowait(update)
                if chat not in self._chats:
                    self._chats[chat] = asyncio.create_task(self._deliver_chat(chat))
            await asyncio.sleep(0.005)

    async def _deliver_chat(self, chat: int) -> None:
        queue = self._queues[chat]
        while True:
            update = await queue.get()
            while not await self._post(update):
                await asyncio.sleep(self.retry_delay)
            self.acknowledged[update["update_id"]] = time.monotonic()
            self.fake.confirmed = max(self.fake.confirmed, update["update_id"])

    async def _post(self, update: dict[str, Any]) -> bool:
        assert self._session is not None
        update_id = update["update_id"]
        async with self._slots:
            self.attempts[update_id] += 1
            try:
                async with self._session.post(
                    self.url,
                    json=update,
                    headers={SECRET_HEADER: self.secret},
                    timeout=aiohttp.ClientTimeout(total=self.timeout),
                ) as response:
                    await response.read()
                    if response.status == 200:
                        return True
            except (aiohttp.ClientError, TimeoutError):
                pass
        self.failures[update_id] += 1
        return False
