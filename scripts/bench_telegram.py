"""Load benchmark of the whole Telegram stack on loopback.

N simulated citizens talk at once to the real `helpdesk serve` process (polling; real Helpdesk,
real SQLite), through a Bot API server on 127.0.0.1 run by this script in its own process, as
Telegram's servers would be. Each citizen sends its questions one after another, waiting
for the reply (as people do). Reported: messages/s, p50/p95 reply latency, lost and duplicated
replies. Two passes: "cold" (reply cache off: every message goes through the models) and "warm"
(cache on: repeated questions, as a helpdesk's frequent questions are, skip the models).

Usage:  python scripts/bench_telegram.py ../shared/eval/dev.jsonl [--citizens 50] [--messages 10]
(needs a built index and intent model: `make index`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.config import Settings, load_settings  # noqa: E402
from bot.dialogue import Helpdesk  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.telegram.app import build_dispatcher, make_bot  # noqa: E402
from bot.telegram.fake_server import FakeTelegram  # noqa: E402
from bot.telegram.render import find_domains  # noqa: E402
from retrieval.normalize import tokens  # noqa: E402


def expected_replies(text: str, action: str = "answer") -> int:
    """How many messages the bot sends for one text: a link verdict, the answer, and for a
    handoff the consent question."""
    answered = 1 + (action == "handoff")
    domains = find_domains(text)
    if not domains:
        return answered
    rest = text
    for domain in domains:
        rest = rest.replace(domain, " ")
    return 1 + (answered if len(tokens(rest)) >= 3 else 0)


def expectations(helpdesk: Helpdesk, questions: list[str]) -> dict[str, int]:
    """Messages expected per distinct question, from the same helpdesk's decisions."""
    return {q: expected_replies(q, helpdesk.reply(q).action) for q in set(questions)}


async def run_pass(fake: FakeTelegram, questions: list[str], citizens: int, per_citizen: int,
                   first_user: int, timeout: float, expected_for: dict[str, int]) -> dict:
    latencies: list[float] = []
    expected_total = 0

    async def citizen(number: int) -> None:
        nonlocal expected_total
        user = first_user + number
        expected = 0
        for j in range(per_citizen):
            text = questions[(number * per_citizen + j) % len(questions)]
            expected += expected_for[text]
            expected_total += expected_for[text]
            started = time.perf_counter()
            await fake.send_text(user, text)
            try:
                await fake.wait_sent(user, expected, timeout=timeout)
            except asyncio.TimeoutError:
                return  # counted as lost below
            latencies.append((time.perf_counter() - started) * 1000)

    wall = time.perf_counter()
    await asyncio.gather(*(citizen(i) for i in range(citizens)))
    wall = time.perf_counter() - wall
    await asyncio.sleep(1.0)  # let late duplicates show up
    received = sum(len(fake.sent_to(first_user + i)) for i in range(citizens))
    lat = np.array(latencies) if latencies else np.array([float("nan")])
    return {
        "messages": citizens * per_citizen,
        "seconds": round(wall, 2),
        "messages_per_s": round(citizens * per_citizen / wall, 1),
        "p50_ms": round(float(np.percentile(lat, 50)), 1),
        "p95_ms": round(float(np.percentile(lat, 95)), 1),
        "lost": max(0, expected_total - received),
        "duplicated": max(0, received - expected_total),
    }


async def _wait_for_bot(fake: FakeTelegram, process, timeout: float = 300.0) -> None:
    """The served bot is ready once it polls for updates."""
    deadline = time.monotonic() + timeout
    while fake.calls["getUpdates"] == 0:
        if process.returncode is not None:
            raise RuntimeError(f"helpdesk serve exited with {process.returncode}")
        if time.monotonic() > deadline:
            raise TimeoutError("helpdesk serve did not start polling")
        await asyncio.sleep(0.2)


async def benchmark_served(settings: Settings, questions: list[str], citizens: int, per_citizen: int,
                           timeout: float = 120.0) -> dict:
    """The real `helpdesk serve` process against the loopback server run here: one pass with the
    reply cache off (cold), one with it on (warm)."""
    data_dir = settings.data_dir
    expected_for = expectations(Helpdesk.from_settings(settings), questions)
    report: dict = {"citizens": citizens, "messages_each": per_citizen}
    for name, cache_size, first_user in (("cold", 0, 10_000_000), ("warm", 4096, 20_000_000)):
        fake = await FakeTelegram().start()
        with tempfile.TemporaryDirectory() as tmp:
            # The served bot keeps its database in its own data folder; the index and the
            # intent model are shared read-only.
            for part in ("index", "intents"):
                (Path(tmp) / part).symlink_to(Path(data_dir).resolve() / part)
            env = {**os.environ, "HELPDESK_BOT_TOKEN": fake.token,
                   "HELPDESK_TELEGRAM_API_URL": fake.base_url, "HELPDESK_DATA_DIR": tmp,
                   "HELPDESK_RATE_LIMIT_PER_MINUTE": "100000", "HELPDESK_RATE_LIMIT_BURST": "100000",
                   "HELPDESK_ANSWER_CACHE_SIZE": str(cache_size), "HELPDESK_METRICS_PORT": "0"}
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "serve", "--log-level", "WARNING", env=env,
                cwd=str(Path(__file__).resolve().parents[1]))
            try:
                await _wait_for_bot(fake, process)
                if name == "warm":  # fill the cache as frequent questions would
                    await run_pass(fake, questions, 1, len(questions), 30_000_000, timeout, expected_for)
                report[name] = await run_pass(fake, questions, citizens, per_citizen, first_user, timeout,
                                              expected_for)
                report[name]["bot_peak_memory_mb"] = _rss_mb(process.pid)
            finally:
                process.terminate()
                await process.wait()
                await fake.stop()
    return report


def _rss_mb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024)
    except OSError:
        return None
    return None


async def benchmark(settings: Settings, questions: list[str], citizens: int, per_citizen: int,
                    timeout: float = 120.0, helpdesk: Helpdesk | None = None) -> dict:
    """The same load with the Dispatcher in this process (used by the tests)."""
    fake = await FakeTelegram().start()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, **{
            **settings.model_dump(), "bot_token": fake.token, "telegram_api_url": fake.base_url,
            "rate_limit_per_minute": 10_000, "rate_limit_burst": 10_000, "metrics_port": 0})
        helpdesk = helpdesk or Helpdesk.from_settings(settings)
        expected_for = expectations(helpdesk, questions)
        store = Store(Path(tmp) / "bench.sqlite3")
        bot = make_bot(settings)
        dp = build_dispatcher(helpdesk, store, settings)
        polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=1))
        cache_size = helpdesk.cache_size
        try:
            helpdesk.cache_size = 0  # cold: every message goes through the models
            cold = await run_pass(fake, questions, citizens, per_citizen, 10_000_000, timeout, expected_for)
            helpdesk.cache_size = cache_size or 4096
            warm = await run_pass(fake, questions, citizens, per_citizen, 20_000_000, timeout, expected_for)
        finally:
            await dp.stop_polling()
            await asyncio.wait_for(polling, 10)
            store.close()
            await fake.stop()
    return {"citizens": citizens, "messages_each": per_citizen, "cold": cold, "warm": warm,
            "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path, help="JSON Lines with a 'text' per line")
    parser.add_argument("--citizens", type=int, default=50)
    parser.add_argument("--messages", type=int, default=10, help="messages per citizen")
    args = parser.parse_args()
    questions = [json.loads(line)["text"] for line in args.file.read_text(encoding="utf-8").splitlines()
                 if line.strip()]
    settings = load_settings()
    report = asyncio.run(benchmark_served(settings, questions, args.citizens, args.messages))
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
