"""The webhook passes of scripts/bench_telegram.py (``--workers 1,2 [--backend postgres
--database-url URL]``): the same cold and warm passes, for each number of `helpdesk serve
--workers N` processes sharing the port, side by side in one report.

The loopback server POSTs every update as Telegram does (retrying on anything but a 200), each on
a new connection so the kernel spreads them over the workers. Reported per worker count: messages/s,
p50/p95, lost, duplicated and each worker's peak memory (VmHWM); and the cold speed-up over the
first count. --backend sqlite gives each run a fresh SQLite file; --backend postgres runs them on
that PostgreSQL database (HELPDESK_DATABASE_URL), each run's citizens and update ids new to it.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_bots import served_workers  # noqa: E402  (scripts/ is on the path)
from bench_telegram import expectations, run_pass  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.dialogue import Helpdesk  # noqa: E402


async def benchmark_workers(
    settings: Settings,
    questions: list[str],
    citizens: int,
    per_citizen: int,
    worker_counts: list[int],
    backend_env: dict[str, str] | None = None,
    timeout: float = 120.0,
) -> dict:
    """Webhook mode: cold and warm passes for each number of workers, each on fresh processes."""
    expected_for = expectations(Helpdesk.from_settings(settings), questions)
    report: dict = {"citizens": citizens, "messages_each": per_citizen, "mode": "webhook", "workers": {}}
    for workers in worker_counts:
        runs: dict = {}
        for name, cache_size, first_user in (("cold", 0, 10_000_000), ("warm", 4096, 20_000_000)):
            first_user += workers * 1_000_000  # each run's citizens are new to the database
            async with served_workers(
                settings.data_dir,
                workers,
                cache_size=cache_size,
                backend_env=backend_env,
                first_update_id=first_user,
            ) as (fake, peak_memory_mb):
                # untimed: each worker's first question pays its one-off loading costs; a warm
                # run also fills the caches as frequent questions would
                await run_pass(fake, questions, 2 * workers, 1, first_user - 10_000, timeout, expected_for)
                if name == "warm":
                    await run_pass(
                        fake, questions, 1, len(questions), first_user - 20_000, timeout, expected_for
                    )
                runs[name] = await run_pass(
                    fake, questions, citizens, per_citizen, first_user, timeout, expected_for
                )
                runs[name]["worker_peak_memory_mb"] = peak_memory_mb()
        report["workers"][str(workers)] = runs
    if len(worker_counts) > 1:
        base = report["workers"][str(worker_counts[0])]
        report["speedup_cold"] = {
            str(n): round(
                report["workers"][str(n)]["cold"]["messages_per_s"] / base["cold"]["messages_per_s"], 2
            )
            for n in worker_counts[1:]
        }
    return report
