"""The bot under load for scripts/bench_telegram.py: the served `helpdesk serve` process, or the
Dispatcher in this process (the tests), each polling a fresh loopback Bot API server."""

from __future__ import annotations

import asyncio
import os
import resource
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
