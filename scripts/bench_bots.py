"""The bot under load for scripts/bench_telegram.py: the served `helpdesk serve` process, or the
Dispatcher in this process (the tests), each polling a fresh loopback Bot API server."""

from __future__ import annotations

import asyncio
import os
import resource
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.config import Settings  # noqa: E402
from bot.dialogue import Helpdesk  # noqa: E402
from bot.storage.sqlite import Store  # noqa: E402
from bot.telegram.app import build_dispatcher, make_bot  # noqa: E402
from bot.telegram.fake_server import FakeTelegram  # noqa: E402

# A started bot: the loopback server it polls, and a way to read its peak memory in MB.
BotUnderTest = tuple[FakeTelegram, Callable[[], int | None]]


async def _wait_for_bot(fake: FakeTelegram, process, timeout: float = 300.0) -> None:
    """The served bot is ready once it polls for updates."""
    deadline = time.monotonic() + timeout
    while fake.calls["getUpdates"] == 0:
        if process.returncode is not None:
            raise RuntimeError(f"helpdesk serve exited with {process.returncode}")
        if time.monotonic() > deadline:
            raise TimeoutError("helpdesk serve did not start polling")
        await asyncio.sleep(0.2)


@asynccontextmanager
async def served_bot(
    data_dir: Path, *, per_minute: float, burst: int, cache_size: int
) -> AsyncIterator[BotUnderTest]:
    """A `helpdesk serve` subprocess polling a fresh loopback server, with its own database."""
    fake = await FakeTelegram().start()
    with tempfile.TemporaryDirectory() as tmp:
        # The served bot keeps its database in its own data folder; the index and the
        # intent model are shared read-only.
        for part in ("index", "intents"):
            (Path(tmp) / part).symlink_to(Path(data_dir).resolve() / part)
        env = {
            **os.environ,
            "HELPDESK_BOT_TOKEN": fake.token,
            "HELPDESK_TELEGRAM_API_URL": fake.base_url,
            "HELPDESK_DATA_DIR": tmp,
            "HELPDESK_RATE_LIMIT_PER_MINUTE": str(per_minute),
            "HELPDESK_RATE_LIMIT_BURST": str(burst),
            "HELPDESK_ANSWER_CACHE_SIZE": str(cache_size),
            "HELPDESK_METRICS_PORT": "0",
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "serve",
            "--log-level",
            "WARNING",
            env=env,
            cwd=str(Path(__file__).resolve().parents[1]),
        )
        try:
            await _wait_for_bot(fake, process)
            yield fake, lambda: _rss_mb(process.pid)
        finally:
            process.terminate()
            await process.wait()
            await fake.stop()


def _rss_mb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024)
    except OSError:
        return None
    return None


# The bot in this process (the tests) -----------------------------------------------------------


def own_peak_memory_mb() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


@asynccontextmanager
async def in_process_bot(settings: Settings, helpdesk: Helpdesk, **overrides) -> AsyncIterator[BotUnderTest]:
    """The Dispatcher polling a fresh loopback server from this process, with a fresh database;
    ``overrides`` replace settings (the rate limit)."""
    fake = await FakeTelegram().start()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            _env_file=None,
            **{
                **settings.model_dump(),
                "bot_token": fake.token,
                "telegram_api_url": fake.base_url,
                "metrics_port": 0,
                **overrides,
            },
        )
        store = Store(Path(tmp) / "bench.sqlite3")
        bot = make_bot(settings)
        dp = build_dispatcher(helpdesk, store, settings)
        polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=1))
        try:
            yield fake, own_peak_memory_mb  # the benchmark's own memory is in it too
        finally:
            await dp.stop_polling()
            await asyncio.wait_for(polling, 10)
            store.close()
            await fake.stop()


# Many webhook workers (`helpdesk serve --workers N`) -------------------------------------------

# A started set of workers: the loopback server that POSTs to them, and each worker's peak memory.
WorkersUnderTest = tuple[FakeTelegram, Callable[[], list[int | None]]]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _children(pid: int) -> list[int]:
    try:
        return sorted(int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split())
    except OSError:
        return []


@asynccontextmanager
async def served_workers(
    data_dir: Path,
    workers: int,
    *,
    cache_size: int,
    backend_env: dict[str, str] | None = None,
    first_update_id: int = 1,
) -> AsyncIterator[WorkersUnderTest]:
    """`helpdesk serve --workers N` in webhook mode on a free loopback port, each update POSTed by a
    fresh loopback server the way Telegram does (a new connection each, so the kernel spreads them
    over the workers). The database: a fresh SQLite file, or what ``backend_env`` names
    (HELPDESK_DATABASE_URL: kept across runs, so each run starts its update ids past the last)."""
    from bot.telegram.fake_webhook import WebhookPusher

    fake = await FakeTelegram(first_update_id=first_update_id).start()
    port, secret = _free_port(), "bench-webhook-secret"
    url = f"http://127.0.0.1:{port}/telegram"
    with tempfile.TemporaryDirectory() as tmp:
        for part in ("index", "intents"):
            (Path(tmp) / part).symlink_to(Path(data_dir).resolve() / part)
        env = {
            **os.environ,
            **(backend_env or {}),
            "HELPDESK_BOT_TOKEN": fake.token,
            "HELPDESK_TELEGRAM_API_URL": fake.base_url,
            "HELPDESK_DATA_DIR": tmp,
            "HELPDESK_RATE_LIMIT_PER_MINUTE": "100000",
            "HELPDESK_RATE_LIMIT_BURST": "100000",
            "HELPDESK_ANSWER_CACHE_SIZE": str(cache_size),
            "HELPDESK_METRICS_PORT": "0",
            "HELPDESK_KB_WATCH_SECONDS": "0",
            "HELPDESK_WEBHOOK_URL": url,
            "HELPDESK_WEBHOOK_SECRET": secret,
            "HELPDESK_WEBHOOK_HOST": "127.0.0.1",
            "HELPDESK_WEBHOOK_PORT": str(port),
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            *("-m", "bot.cli", "serve", "--workers", str(workers), "--log-level", "WARNING"),
            env=env,
            cwd=str(Path(__file__).resolve().parents[1]),
        )
        pusher = WebhookPusher(fake, url, secret, new_connections=True)
        try:
            deadline = time.monotonic() + 300
            while fake.calls["setMyCommands"] < workers:  # each worker sets it once started
                if process.returncode is not None:
                    raise RuntimeError(f"helpdesk serve --workers exited with {process.returncode}")
                if time.monotonic() > deadline:
                    raise TimeoutError("the workers did not start")
                await asyncio.sleep(0.2)
            await pusher.start()
            if workers == 1:  # one worker runs in the parent's place: its own process is the worker
                yield fake, lambda: [_rss_mb(process.pid)]
            else:
                yield fake, lambda: [_rss_mb(pid) for pid in _children(process.pid)]
        finally:
            await pusher.stop()
            process.terminate()
            await process.wait()
            await fake.stop()
