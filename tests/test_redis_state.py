"""The shared state's parts against a real redis-server on loopback (tests/redis_server.py):
two "workers" (two sets of clients) see one context, one rate limit, one reply cache; an outage
falls back, is logged once, and ends when the server is back."""

import asyncio
import logging
import time

import pytest
from tiny_bot import tiny_helpdesk

from bot.config import ConfigError, load_settings
from bot.context import InMemoryContexts
from bot.storage.redis_state import (
    RedisHealth,
    SharedContexts,
    SharedRateLimit,
    SharedReplies,
    connect,
    safe_redis_url,
)


@pytest.fixture
async def two_workers(redis_server):
    """Two independent sets of clients on one server, as two processes would have."""
    made = [connect(redis_server.url, retry_seconds=0.2), connect(redis_server.url, retry_seconds=0.2)]
    yield made
    for clients in made:
        await clients.close()


# settings ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url",
    [
        "http://:hunter2pass@cache:6379/0",
        "redis://:hunter2pass@cache:notaport/0",
        "redis://:hunter2pass@/0",
        "redis://:hunter2pass@cache:6379/zero",
    ],
)
def test_a_bad_redis_url_is_one_line_naming_the_variable_without_the_password(url):
    with pytest.raises(ConfigError) as info:
        load_settings(redis_url=url, _env_file=None)
    text = str(info.value)
    assert text.startswith("HELPDESK_REDIS_URL: ") and "\n" not in text
    assert "hunter2pass" not in text


def test_good_redis_urls_pass_and_unset_is_per_process():
    assert load_settings(_env_file=None).redis_url is None
    for url in ("redis://127.0.0.1:6379/0", "rediss://:pw@cache.internal", "unix:///run/redis.sock"):
        assert load_settings(redis_url=url, _env_file=None).redis_url is not None
    assert safe_redis_url("redis://:hunter2pass@cache:6380/1") == "redis://***@cache:6380/1"


async def test_the_password_never_reaches_the_logs(redis_server, caplog):
    caplog.set_level(logging.DEBUG)
    url = f"redis://:hunter2pass@127.0.0.1:{redis_server.port}/0"  # the server wants none: refused
    clients = connect(url)
    redis_server.stop()  # and then not even listening
    try:
        assert not await clients.check()
        contexts = SharedContexts(clients, InMemoryContexts(), 60)
        contexts.save_chat_context(1, 1, {"topic": "passport"})
    finally:
        await clients.close()
    assert caplog.records and all("hunter2pass" not in r.getMessage() for r in caplog.records)
    assert any("redis://***@127.0.0.1" in r.getMessage() for r in caplog.records)


# two workers, one state ------------------------------------------------------------------------
async def test_two_workers_see_one_chat_context_which_expires(two_workers):
    first, second = two_workers
    a = SharedContexts(first, InMemoryContexts(), ttl_seconds=90)
    b = SharedContexts(second, InMemoryContexts(), ttl_seconds=90)  # its own durable copy: empty
    a.save_chat_context(7, 7, {"topic": "passport", "candidates": ["passport", "id-card"]})
    saved = b.chat_context(7)
    assert saved is not None and saved[0]["topic"] == "passport" and abs(saved[1] - time.time()) < 5
    assert 80 <= second.sync.ttl(SharedContexts.key(7)) <= 90
    b.clear_chat_context(7)
    assert first.sync.get(SharedContexts.key(7)) is None


async def test_the_rate_limit_is_counted_across_workers(two_workers):
    limits = [SharedRateLimit(clients, per_minute=1, burst=3) for clients in two_workers]
    taken = [await limits[n % 2].take(42) for n in range(5)]
    assert taken == [True, True, True, False, False]
    assert await limits[1].take(43)  # another citizen has a bucket of his own


async def test_the_shared_rate_limit_is_atomic_under_concurrency(two_workers):
    limits = [SharedRateLimit(clients, per_minute=1, burst=5) for clients in two_workers]
    taken = await asyncio.gather(*(limits[n % 2].take(44) for n in range(30)))
    assert taken.count(True) == 5


async def test_two_workers_share_the_reply_cache_keyed_by_the_served_version(
    two_workers, tiny_settings, tiny_kb_paths
):
    first = tiny_helpdesk(tiny_settings).sharing(SharedReplies(two_workers[0], 60))
    second = tiny_helpdesk(tiny_settings).sharing(SharedReplies(two_workers[1], 60))
    asked = first.reply("Vergi borcunu necə yoxlamaq olar?")
    served = second.reply("Vergi borcunu necə yoxlamaq olar?")
    assert second.shared_hits == 1 and first.shared_hits == 0
    assert (served.topic, served.answer, served.action) == (asked.topic, asked.answer, asked.action)
    # An edited article is another served version: the old reply is not served after a reload.
    articles, _ = tiny_kb_paths
    path = articles / "taxes" / "tax-debt-check.md"
    path.write_text(
        path.read_text(encoding="utf-8").replace("şəxsi kabinetində", "kabinetdə"), encoding="utf-8"
    )
    reloaded = tiny_helpdesk(tiny_settings).sharing(SharedReplies(two_workers[1], 60))
    assert reloaded.served_version != second.served_version
    fresh = reloaded.reply("Vergi borcunu necə yoxlamaq olar?")
    assert reloaded.shared_hits == 0 and "kabinetdə" in fresh.answer


# an outage -------------------------------------------------------------------------------------
async def test_an_outage_falls_back_logs_once_and_recovers(redis_server, caplog):
    caplog.set_level(logging.INFO, logger="bot.storage.redis_state")
    clients = connect(redis_server.url, retry_seconds=0.2)
    durable = InMemoryContexts()
    contexts = SharedContexts(clients, durable, 60)
    limit = SharedRateLimit(clients, per_minute=60, burst=100)
    replies = SharedReplies(clients, 60)
    try:
        assert await clients.check() and clients.health.gauge == 1
        contexts.save_chat_context(5, 5, {"topic": "passport"})
        redis_server.stop()
        for _ in range(5):  # messages during the outage: served from this process, never an error
            assert await limit.take(5) is None
            contexts.save_chat_context(5, 5, {"topic": "id-card"})
            assert contexts.chat_context(5)[0]["topic"] == "id-card"  # the durable copy
            assert replies.get("k") is None
            replies.put("k", {"a": 1})
            await asyncio.sleep(0.1)
        assert clients.health.gauge == 0
        down = [r for r in caplog.records if "unreachable" in r.getMessage()]
        assert len(down) == 1 and down[0].levelno == logging.ERROR
        redis_server.start()  # on the same port, empty
        await asyncio.sleep(0.3)  # past retry_seconds
        assert await limit.take(5) is True and clients.health.gauge == 1
        assert contexts.chat_context(5)[0]["topic"] == "id-card"
        assert len([r for r in caplog.records if "answers again" in r.getMessage()]) == 1
    finally:
        await clients.close()


async def test_a_stale_context_left_in_redis_by_an_outage_is_not_read_back(redis_server):
    """A chat forgotten (/forget) while Redis was down must not come back from Redis."""
    clients = connect(redis_server.url, retry_seconds=0.1)
    durable = InMemoryContexts()
    contexts = SharedContexts(clients, durable, 60)
    try:
        contexts.save_chat_context(9, 9, {"topic": "passport"})
        clients.health.failed(ConnectionError("pretend: unreachable"))  # a blip on this worker only
        contexts.clear_chat_context(9)  # skipped in Redis, done in the durable copy
        assert clients.sync.get(SharedContexts.key(9)) is not None  # the old copy is still there
        await asyncio.sleep(0.15)
        assert contexts.chat_context(9) is None
        assert clients.sync.get(SharedContexts.key(9)) is None
    finally:
        await clients.close()


def test_health_skips_redis_for_a_while_after_a_failure():
    now = [0.0]
    health = RedisHealth("redis://127.0.0.1:1/0", retry_seconds=2, clock=lambda: now[0])
    assert health.should_try() and health.gauge == 0  # not tried yet
    health.failed(OSError("refused"))
    assert not health.should_try()
    now[0] = 2.5
    assert health.should_try()
    health.succeeded()
    assert health.gauge == 1
