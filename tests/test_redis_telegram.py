"""The real dispatcher with Redis: two dispatchers ("workers", each with its own SQLite store)
sharing one redis-server on loopback, fed updates as a load balancer would spread webhooks; an
outage mid-run; and the polling bot end to end against the fake Bot API server."""

import asyncio
import logging

import pytest
from aiogram import Dispatcher
from aiogram.fsm.storage.base import DefaultKeyBuilder, StorageKey
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.types import Message
from pydantic import SecretStr
from tiny_bot import tiny_helpdesk

from bot.storage.redis_state import connect
from bot.storage.sqlite import Store
from bot.telegram.app import build_dispatcher, make_bot
from bot.telegram.fake_server import FakeTelegram
from bot.telegram.shared_state import FallbackIsolation, FallbackStorage
from bot.texts import t
from knowledge.common import LANGS

QUESTION = "Vergi borcunu necə yoxlamaq olar?"


class Worker:
    """One dispatcher on its own store, fed raw updates (webhook-style)."""

    def __init__(self, fake, settings, name) -> None:
        self.settings = settings.model_copy(update={"data_dir": settings.data_dir / name})
        self.store = Store(self.settings.data_dir / "helpdesk.sqlite3")
        self.bot = make_bot(self.settings)
        self.dp = build_dispatcher(tiny_helpdesk(settings), self.store, self.settings)
        self.shared = self.dp.workflow_data["shared"]

    async def feed(self, update: dict) -> None:
        await self.dp.feed_raw_update(self.bot, update)

    async def close(self) -> None:
        await self.shared.close()
        await self.bot.session.close()
        self.store.close()


@pytest.fixture
async def workers(tiny_settings, redis_server):
    fake = await FakeTelegram().start()
    settings = tiny_settings.model_copy(
        update={
            "bot_token": SecretStr(fake.token),
            "telegram_api_url": fake.base_url,
            "redis_url": SecretStr(redis_server.url),
            "rate_limit_per_minute": 1,
            "rate_limit_burst": 3,
            "redis_retry_seconds": 0.2,
            "kb_watch_seconds": 0,
        }
    )
    made = [Worker(fake, settings, "a"), Worker(fake, settings, "b")]
    for worker in made:
        await worker.shared.start()
    yield fake, made
    for worker in made:
        await worker.close()
    await fake.stop()


def message(fake, user, text):
    return {"update_id": next(fake._update_ids), **fake.message_update(user, text)}


async def test_two_workers_share_context_rate_limit_and_replies(workers):
    fake, (a, b) = workers
    user = 301
    await a.feed(message(fake, user, QUESTION))
    [card] = await fake.wait_sent(user)
    # The context A kept is what B reads (B's own store has none of it).
    assert a.shared.memory.get(user) == b.shared.memory.get(user) is not None
    assert b.store.chat_context(user) is None
    # The same question at B: served from the reply cache A filled.
    await b.feed(message(fake, user, QUESTION))
    sent = await fake.wait_sent(user, 2)
    assert b.dp.workflow_data["helpdesk_ref"].current.shared_hits == 1
    assert sent[1].text == card.text
    # The burst of 3 is spent across both workers: the 4th message, at A, is refused with a
    # warning, and so is the 5th, at B.
    await a.feed(message(fake, user, "Salam"))
    await a.feed(message(fake, user, "Salam"))
    await b.feed(message(fake, user, "Salam"))
    sent = await fake.wait_sent(user, 5)
    warnings = {t("rate_limited", lang) for lang in LANGS}
    assert [s.text in warnings for s in sent] == [False, False, False, True, True]
    assert len(a.store.messages(user)) + len(b.store.messages(user)) == 6  # 3 in, 3 out: none of the refused


async def test_redis_going_away_mid_run_keeps_replies_coming(workers, redis_server, caplog):
    fake, (a, b) = workers
    caplog.set_level(logging.INFO, logger="bot.storage.redis_state")
    metrics = a.dp.workflow_data["metrics"]
    assert "helpdesk_redis_up 1" in metrics.render(0)
    redis_server.stop()
    users = [401, 402, 403]
    for user in users:
        await (a if user % 2 else b).feed(message(fake, user, QUESTION))
    for user in users:
        [sent] = await fake.wait_sent(user, timeout=10)
        assert "e-taxes.gov.az" in sent.text or sent.buttons()
    assert "helpdesk_redis_up 0" in metrics.render(0)
    assert a.shared.degraded == ["redis"]
    down = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(down) == 2  # once per worker, not once per message
    redis_server.start()
    await asyncio.sleep(0.3)
    await a.feed(message(fake, 404, "Salam"))
    await fake.wait_sent(404, timeout=10)
    assert "helpdesk_redis_up 1" in metrics.render(0) and a.shared.degraded == []
    # What A remembered during the outage is not shadowed by anything older in Redis.
    assert a.shared.memory.get(401) is not None


@pytest.mark.parametrize("shared", [True, False], ids=["redis-isolation", "per-process-control"])
async def test_event_isolation_orders_one_chats_updates_across_two_dispatchers(redis_server, shared):
    fake = await FakeTelegram().start()
    clients = [connect(redis_server.url), connect(redis_server.url)]
    log: list[tuple[str, str]] = []
    dispatchers = []
    for name, client in zip("ab", clients):
        fsm = RedisStorage(client.aio, key_builder=DefaultKeyBuilder(prefix="test:fsm"))
        isolation = (
            FallbackIsolation(fsm.create_isolation(), client.health) if shared else SimpleEventIsolation()
        )
        dp = Dispatcher(events_isolation=isolation)

        async def handle(event: Message, name=name) -> None:
            log.append(("enter", event.text or ""))
            await asyncio.sleep(0.3)
            log.append(("leave", event.text or ""))

        dp.message.register(handle)
        dispatchers.append(dp)
    bot = make_bot_for(fake)
    try:
        first = asyncio.create_task(dispatchers[0].feed_raw_update(bot, message(fake, 77, "one")))
        await asyncio.sleep(0.05)
        second = asyncio.create_task(dispatchers[1].feed_raw_update(bot, message(fake, 77, "two")))
        await asyncio.gather(first, second)
    finally:
        await bot.session.close()
        for client in clients:
            await client.close()
        await fake.stop()
    kinds = [kind for kind, _ in log]
    if shared:
        assert kinds == ["enter", "leave", "enter", "leave"]
    else:  # the control: without the shared lock the two handlers overlap
        assert kinds == ["enter", "enter", "leave", "leave"]


def make_bot_for(fake):
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer

    return Bot(fake.token, session=AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url)))


async def test_fsm_state_is_shared_and_survives_an_outage_in_process(redis_server):
    clients = [connect(redis_server.url, retry_seconds=0.1), connect(redis_server.url, retry_seconds=0.1)]
    storages = [
        FallbackStorage(RedisStorage(c.aio, key_builder=DefaultKeyBuilder(prefix="test:fsm")), c.health)
        for c in clients
    ]
    key = StorageKey(bot_id=1, chat_id=5, user_id=5)
    try:
        await storages[0].set_state(key, "asking:documents")
        await storages[0].set_data(key, {"ticket": 12})
        assert await storages[1].get_state(key) == "asking:documents"
        assert await storages[1].get_data(key) == {"ticket": 12}
        redis_server.stop()
        await storages[0].set_state(key, "asking:fee")  # no error: kept in this process
        assert await storages[0].get_state(key) == "asking:fee"
        assert clients[0].health.gauge == 0
    finally:
        for client in clients:
            await client.close()


async def test_the_polling_bot_answers_and_follows_up_with_redis_on(bot_harness, redis_server):
    """End to end (bundled articles, e5): the card, then its fee from the context kept in Redis,
    read by a restarted bot although the context in its own store was deleted meanwhile."""
    harness = await bot_harness(redis_url=redis_server.url)
    fake, user = harness.fake, 5391
    passport = harness.helpdesk.kb.by_topic["passport"]
    await fake.send_text(user, "How do I get a passport for travel abroad?")
    [card] = await fake.wait_sent(user)
    assert passport.title["en"] in card.text
    assert "helpdesk_redis_up 1" in harness.dp.workflow_data["metrics"].render(0)
    await harness.stop()
    restarted = await bot_harness(redis_url=redis_server.url)
    restarted.store.clear_chat_context(user)  # only Redis remembers the card now
    await fake.send_text(user, "how much is it?")
    sent = await fake.wait_sent(user, 2)
    assert passport.fee["en"][:30] in sent[-1].text


async def test_healthz_says_degraded_while_redis_is_down(tmp_path):
    import aiohttp
    from aiohttp import web

    from bot.ops.monitoring import Metrics, ops_app

    store = Store(tmp_path / "h.sqlite3")
    down = {"now": True}
    app = ops_app(
        Metrics(redis_up=lambda: 0 if down["now"] else 1),
        store,
        ready=lambda: True,
        degraded=lambda: ["redis"] if down["now"] else [],
    )
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with aiohttp.ClientSession() as http:
            health = await http.get(f"http://127.0.0.1:{port}/healthz")
            assert health.status == 200  # still answering citizens
            assert await health.json() == {"ok": True, "status": "degraded", "degraded": ["redis"]}
            assert "helpdesk_redis_up 0" in await (await http.get(f"http://127.0.0.1:{port}/metrics")).text()
            down["now"] = False
            assert await (await http.get(f"http://127.0.0.1:{port}/healthz")).json() == {"ok": True}
    finally:
        await runner.cleanup()
        store.close()
