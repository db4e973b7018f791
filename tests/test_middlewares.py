import asyncio

import pytest
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import SendMessage

from bot.telegram.middlewares import RetryAfterMiddleware, TokenBucket


def test_token_bucket_burst_then_refill():
    now = [0.0]
    bucket = TokenBucket(per_minute=60, burst=3, clock=lambda: now[0])
    assert [bucket.take(1) for _ in range(4)] == [True, True, True, False]
    assert bucket.take(2)  # other citizens are not affected
    now[0] += 1.0
    assert bucket.take(1) and not bucket.take(1)


def test_token_bucket_config_checked():
    with pytest.raises(ValueError):
        TokenBucket(0, 1)


async def test_retry_after_waits_and_retries(monkeypatch):
    waits = []

    async def fake_sleep(seconds):
        waits.append(seconds)

    monkeypatch.setattr(asyncio, "sleep", fake_sleep)
    method = SendMessage(chat_id=1, text="x")
    calls = []

    async def make_request(bot, m):
        calls.append(m)
        if len(calls) < 3:
            raise TelegramRetryAfter(method=m, message="Too Many Requests", retry_after=2)
        return "sent"

    assert await RetryAfterMiddleware(attempts=5)(make_request, None, method) == "sent"
    assert waits == [2, 2] and len(calls) == 3


async def test_retry_after_gives_up_after_attempts(monkeypatch):
    async def fake_sleep(seconds):
        return None

    monkeypatch.setattr(asyncio, "sleep", fake_sleep)

    async def always_429(bot, m):
        raise TelegramRetryAfter(method=m, message="Too Many Requests", retry_after=1)

    with pytest.raises(TelegramRetryAfter):
        await RetryAfterMiddleware(attempts=2)(always_429, None, SendMessage(chat_id=1, text="x"))
