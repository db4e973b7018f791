"""The inbox wired into aiogram: recorded before acknowledged, claimed once, replayed after a
crash — with the real Dispatcher polling (and a real webhook) against the loopback Bot API."""

import asyncio
import contextlib

import aiohttp
import pytest
from aiogram import Bot, F, Router
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.types import Message
from aiohttp.test_utils import TestServer

from bot.config import Settings
from bot.storage import base
from bot.storage.inbox import Inbox
from bot.telegram.durable import DurableDispatcher, DurableRequestHandler, InboxMiddleware, replay_unfinished
from bot.telegram.fake_server import FakeTelegram
from bot.wiring import open_store


class Recorder:
    """A handler that notes what it handled and can be held (to be "killed" mid-handling)."""

    def __init__(self, hold: bool = False, fail_on: str | None = None) -> None:
        self.handled: list[int] = []
        self.started: list[int] = []
        self.gate = asyncio.Event()
        if not hold:
            self.gate.set()
        self.fail_on = fail_on

    async def on_text(self, message: Message, event_update) -> None:
        self.started.append(event_update.update_id)
        await self.gate.wait()
        if message.text == self.fail_on:
            raise RuntimeError("boom")
        self.handled.append(event_update.update_id)
        await message.answer(f"ok {message.text}")


def make_dispatcher(store: base.Store, recorder: Recorder) -> DurableDispatcher:
    inbox = Inbox(store)
    # As in production: one update at a time per chat, so later ones wait unclaimed.
    dp = DurableDispatcher(inbox=inbox, events_isolation=SimpleEventIsolation())
    dp.update.outer_middleware(InboxMiddleware(inbox))
    router = Router()
    router.message.register(recorder.on_text, F.text)
    dp.include_router(router)

    async def replay(bot: Bot, dispatcher: DurableDispatcher) -> None:
        await replay_unfinished(dispatcher, bot, inbox)

    dp.startup.register(replay)
    return dp


@pytest.fixture
async def fake():
    server = await FakeTelegram().start()
    yield server
    await server.stop()


@pytest.fixture
def store(tmp_path, e2e_database_url):
    """The test backend's store (HELPDESK_TEST_BACKEND; SQLite unless it says postgres)."""
    s = open_store(Settings(_env_file=None, data_dir=tmp_path, database_url=e2e_database_url))
    yield s
    s.close()


def loopback_bot(fake) -> Bot:
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer

    return Bot(fake.token, session=AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url)))


async def poll(dp, fake):
    bot = loopback_bot(fake)
    task = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=1))
    return bot, task


@contextlib.asynccontextmanager
async def polling(dp, fake):
    """The dispatcher polls the loopback server until the block ends (a clean stop)."""
    _, task = await poll(dp, fake)
    try:
        yield
    finally:
        await dp.stop_polling()
        await task


async def wait_until(condition, timeout: float = 10.0) -> None:
    async def loop():
        while not condition():
            await asyncio.sleep(0.02)

    await asyncio.wait_for(loop(), timeout)


async def test_updates_acknowledged_mid_handling_survive_a_crash_and_are_handled_once(fake, store):
    held = Recorder(hold=True)
    dp = make_dispatcher(store, held)
    bot, task = await poll(dp, fake)
    pushed = [(await fake.send_text(7, f"q{i}"))["update_id"] for i in range(3)]
    # aiogram acknowledges the batch (next getUpdates offset) while the first handler is held
    # and the other two wait their turn, not yet started: all three are in the inbox.
    await wait_until(lambda: fake.confirmed >= pushed[-1] and len(held.started) == 1)
    inbox = Inbox(store)
    assert [inbox.state(u) for u in pushed] == ["handling", "received", "received"]
    # The process dies: its reader and handlers stop where they are, and Telegram will not send
    # these again. (Cancelling start_polling alone would leave aiogram's reader task running.)
    dying = [
        task,
        *dp.handling,
        *(t for t in asyncio.all_tasks() if t.get_coro().__name__ == "_polling"),
    ]
    for t in dying:
        t.cancel()
    await asyncio.gather(*dying, return_exceptions=True)
    await bot.session.close()
    assert held.handled == [] and fake.updates == []

    fresh = Recorder()
    async with polling(make_dispatcher(store, fresh), fake):
        await wait_until(lambda: len(fake.sent_to(7)) == 3)
    assert fresh.handled == pushed  # replayed, in order
    assert [s.text for s in fake.sent_to(7)] == ["ok q0", "ok q1", "ok q2"]
    assert all(inbox.state(u) == "done" for u in pushed)


async def test_a_redelivered_update_is_handled_once(fake, store):
    recorder = Recorder()
    update = await fake.send_text(8, "hello")
    fake.updates.append(dict(update))  # Telegram sends it again (a timeout on its side)
    async with polling(make_dispatcher(store, recorder), fake):
        await wait_until(lambda: fake.confirmed >= update["update_id"] and recorder.handled)
        await asyncio.sleep(0.3)
    assert recorder.handled == [update["update_id"]] and len(fake.sent_to(8)) == 1


async def test_a_failing_handler_marks_the_update_failed_not_replayed(fake, store):
    async with polling(make_dispatcher(store, Recorder(fail_on="bad")), fake):
        update = await fake.send_text(9, "bad")
        await wait_until(lambda: Inbox(store).state(update["update_id"]) == "failed")
    assert Inbox(store).recover().replay == []


async def test_webhook_records_the_update_before_answering_200(fake, store):
    from aiohttp import web

    held = Recorder(hold=True)
    dp = make_dispatcher(store, held)
    bot = loopback_bot(fake)
    app = web.Application()
    DurableRequestHandler(dp, bot, dp.inbox, secret_token="s3cret").register(app, path="/hook")
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as http:
            headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
            answer = await http.post(
                server.make_url("/hook"),
                headers=headers,
                json={"update_id": 70, **fake.message_update(10, "salam")},
            )
            assert answer.status == 200
            # Acknowledged, and still held by its handler: it is in the inbox already.
            assert Inbox(store).state(70) in ("received", "handling")
            junk = await http.post(server.make_url("/hook"), headers=headers, json={"no": "update"})
            assert junk.status == 400
            forged = await http.post(
                server.make_url("/hook"),
                headers={"X-Telegram-Bot-Api-Secret-Token": "guess"},
                json={"update_id": 71, **fake.message_update(10, "salam")},
            )
            assert forged.status == 401 and Inbox(store).state(71) is None  # never recorded
        held.gate.set()
        await wait_until(lambda: Inbox(store).state(70) == "done")
    finally:
        await server.close()
        await bot.session.close()


async def test_among_workers_the_200_means_handled_and_a_redelivery_waits(fake, store):
    """handle_in_background=False (many workers): Telegram's 200 comes once the update is handled,
    and the same update sent again while it is held gets a 503, so Telegram keeps the chat's next
    updates back and asks again later."""
    from aiohttp import web

    held = Recorder(hold=True)
    dp = make_dispatcher(store, held)
    bot = loopback_bot(fake)
    app = web.Application()
    handler = DurableRequestHandler(dp, bot, dp.inbox, secret_token="s3cret", handle_in_background=False)
    handler.register(app, path="/hook")
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as http:

            async def deliver() -> int:
                async with http.post(
                    server.make_url("/hook"),
                    headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret"},
                    json={"update_id": 80, **fake.message_update(11, "salam")},
                ) as answer:
                    return answer.status

            first = asyncio.create_task(deliver())
            await wait_until(lambda: held.started == [80])
            assert not first.done()  # no answer while its handler runs
            assert await deliver() == 503  # sent again meanwhile: not yet
            held.gate.set()
            assert await first == 200 and Inbox(store).state(80) == "done"
            assert await deliver() == 200  # sent again after: acknowledged, not handled again
        assert held.handled == [80]
    finally:
        await server.close()
        await bot.session.close()
