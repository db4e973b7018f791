"""Load benchmark of the whole Telegram stack on loopback.

N simulated citizens talk at once to the real `helpdesk serve` process (polling; real Helpdesk,
real SQLite), through a Bot API server on 127.0.0.1 run by this script in its own process, as
Telegram's servers would be. Each citizen sends its questions one after another, waiting
for the reply (as people do). Reported per pass: messages/s, p50/p95 reply latency, lost and
duplicated replies, the bot process's peak memory (VmHWM); and, measured in the same run right
after the cold pass, the encoder alone over the same questions: its mean time and the bound it
sets (1 / mean), with the cold pass's throughput as a share of that bound. Two passes, with the
rate limit raised out of the way: "cold" (reply cache off: every message goes through the models)
and "warm" (cache on: repeated questions, as a helpdesk's frequent questions are, skip the models).

With --flood M, two more passes (issue 7) under the shipped default rate limit (bot/config.py: 20 a
minute, burst 8; not a local .env's), reply cache off, each on a fresh `helpdesk serve`:
"without_flooder" (the same N citizens: the baseline) and "with_flooder" (the same N citizens
while one more citizen sends M messages as fast as possible, never waiting for a reply). Each
ordinary citizen sends at most the burst (8) here, even if --messages asks for more, so the rate
limit never drops their messages and 0 lost still means 0 lost. Reported for the ordinary
citizens: the figures above, and "p95_slowdown" (p95 with / without the flooder). For the
flooder: messages sent, replies got, of which answers and rate-limit warnings (one per burst it
runs into), and the most answers its token bucket could have allowed (burst + refills over the
flood). One untimed question warms each fresh bot up first.

With --workers 1,2 the cold and warm passes run in webhook mode, for each number of workers side
by side (scripts/bench_workers.py says how).

Usage:  python scripts/bench_telegram.py ../shared/eval/dev.jsonl [--citizens 50] [--messages 10]
                                         [--flood 300]
        python scripts/bench_telegram.py ../shared/eval/dev.jsonl --workers 1,2
                                         [--backend postgres --database-url postgresql://…]
                                         [--redis-url redis://…]
(needs a built index and intent model: `make index`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.config import Settings, load_settings  # noqa: E402
from bot.context import ContextualReplies  # noqa: E402
from bot.conversation import LINK_ONLY_WORDS  # noqa: E402
from bot.dialogue import Helpdesk  # noqa: E402
from bot.links import find_domains  # noqa: E402
from bot.telegram.fake_server import FakeTelegram  # noqa: E402
from bot.texts import TEXTS  # noqa: E402
from retrieval.normalize import tokens  # noqa: E402

RATE_LIMIT_WARNINGS = frozenset(strings["rate_limited"] for strings in TEXTS.values())
# The shipped defaults, not whatever a local .env sets: the flood passes measure the bot as shipped.
DEFAULT_PER_MINUTE = Settings.model_fields["rate_limit_per_minute"].default
DEFAULT_BURST = Settings.model_fields["rate_limit_burst"].default
QUIET_SECONDS = 3.0  # the flooder's dropped messages leave no trace: "done" is this long with no reply

from bench_bots import BotUnderTest, in_process_bot, own_peak_memory_mb, served_bot  # noqa: E402  (scripts/ is on the path)


def expected_replies(text: str, *actions: str) -> int:
    """How many messages the bot sends for one text: a link verdict, then for each reply (one, or
    one per question when a message asks several) the answer, and for a handoff the consent
    question."""
    answered = sum(1 + (action == "handoff") for action in actions or ("answer",))
    domains = find_domains(text)
    if not domains:
        return answered
    rest = text
    for domain in domains:
        rest = rest.replace(domain, " ")
    return 1 + (answered if len(tokens(rest)) >= LINK_ONLY_WORDS else 0)


def expectations(helpdesk: Helpdesk, questions: list[str]) -> dict[str, int]:
    """Messages expected per distinct question, from the decisions the bot makes on a fresh chat
    (bot.context: a message asking two questions gets two answers)."""
    contextual = ContextualReplies(helpdesk)
    return {
        q: expected_replies(q, *(reply.action for reply in contextual.reply(q, None).replies))
        for q in set(questions)
    }


async def run_pass(
    fake: FakeTelegram,
    questions: list[str],
    citizens: int,
    per_citizen: int,
    first_user: int,
    timeout: float,
    expected_for: dict[str, int],
) -> dict:
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
            except TimeoutError:
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


# The flood ------------------------------------------------------------------------------------


def flood_text(questions: list[str], expected_for: dict[str, int]) -> str:
    """A question answered in one message, so the flooder's answers and warnings can be told apart
    by count."""
    return next((q for q in questions if expected_for[q] == 1), questions[0])


async def flood(fake: FakeTelegram, user: int, text: str, count: int) -> None:
    """``count`` messages as fast as possible, never waiting for a reply."""
    for _ in range(count):
        await fake.send_text(user, text)
        await asyncio.sleep(0)  # only lets the other citizens' sends interleave; no pacing


async def wait_quiet(fake: FakeTelegram, chat_id: int, since: float, quiet: float, timeout: float) -> None:
    """Until nothing reached ``chat_id`` for ``quiet`` seconds (or ``timeout`` ran out)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sent = fake.sent_to(chat_id)
        idle = time.monotonic() - (sent[-1].at if sent else since)
        if idle >= quiet:
            return
        await asyncio.sleep(quiet - idle)


def flooder_report(
    fake: FakeTelegram,
    user: int,
    sent: int,
    started: float,
    replies_per_answer: int,
    per_minute: float,
    burst: int,
) -> dict:
    replies = fake.sent_to(user)
    warnings = sum(reply.text in RATE_LIMIT_WARNINGS for reply in replies)
    flood_seconds = (replies[-1].at - started) if replies else 0.0
    return {
        "sent": sent,
        "replies": len(replies),
        "answers": (len(replies) - warnings) // replies_per_answer,
        "rate_limit_warnings": warnings,
        # The bucket starts full and refills at per_minute: no more answers than this can pass.
        "answers_allowed_at_most": burst + int(flood_seconds * per_minute / 60),
        "seconds": round(flood_seconds, 2),
    }


async def run_flood_pass(
    fake: FakeTelegram,
    questions: list[str],
    citizens: int,
    per_citizen: int,
    first_user: int,
    timeout: float,
    expected_for: dict[str, int],
    flood_messages: int,
    per_minute: float,
    burst: int,
) -> dict:
    """``run_pass`` for the ordinary citizens while one more citizen floods (none if 0 messages)."""
    if not flood_messages:
        return await run_pass(fake, questions, citizens, per_citizen, first_user, timeout, expected_for)
    flooder = first_user + citizens  # next to the ordinary citizens' ids, never one of them
    text = flood_text(questions, expected_for)
    started = time.monotonic()
    report, _ = await asyncio.gather(
        run_pass(fake, questions, citizens, per_citizen, first_user, timeout, expected_for),
        flood(fake, flooder, text, flood_messages),
    )
    await wait_quiet(fake, flooder, started, QUIET_SECONDS, timeout)
    report["flooder"] = flooder_report(
        fake, flooder, flood_messages, started, expected_for[text], per_minute, burst
    )
    return report


async def flood_passes(
    start_bot: Callable[[], AbstractAsyncContextManager[BotUnderTest]],
    questions: list[str],
    citizens: int,
    per_citizen: int,
    flood_messages: int,
    timeout: float,
    expected_for: dict[str, int],
    per_minute: float,
    burst: int,
) -> dict:
    """The ordinary citizens without, then with, the flooder; each pass on a freshly started bot
    (so its peak memory is its own) that has the given rate limit and the reply cache off."""
    # Within the burst the rate limit never touches an ordinary citizen, so their expected reply
    # counts hold; more would make lost replies of deliberate drops.
    per_citizen = min(per_citizen, burst)
    report: dict = {
        "rate_limit_per_minute": per_minute,
        "rate_limit_burst": burst,
        "citizens": citizens,
        "messages_each": per_citizen,
    }
    for name, messages, first_user in (
        ("without_flooder", 0, 40_000_000),
        ("with_flooder", flood_messages, 50_000_000),
    ):
        async with start_bot() as (fake, peak_memory_mb):
            # One untimed question first: a fresh process's first model call pays one-off loading
            # costs that would otherwise land on whichever citizens happen to be queued behind it.
            await run_pass(fake, questions, 1, 1, first_user - 1, timeout, expected_for)
            report[name] = await run_flood_pass(
                fake,
                questions,
                citizens,
                per_citizen,
                first_user,
                timeout,
                expected_for,
                messages,
                per_minute,
                burst,
            )
            report[name]["bot_peak_memory_mb"] = peak_memory_mb()
    report["p95_slowdown"] = round(report["with_flooder"]["p95_ms"] / report["without_flooder"]["p95_ms"], 2)
    return report


# The served bot (the README's figures) ---------------------------------------------------------


def encoder_bound(helpdesk: Helpdesk, questions: list[str]) -> dict:
    """The encoder alone over the benchmark's questions, one at a time: its mean time per question
    and the messages per second a bot doing nothing else could answer (1 / mean)."""
    embedder = helpdesk.searcher.embedder
    embedder.encode_queries(["warm-up"])
    times = []
    for text in questions:
        t0 = time.perf_counter()
        embedder.encode_queries([text])
        times.append(time.perf_counter() - t0)
    mean = float(np.mean(times))
    return {
        "questions": len(times),
        "mean_encode_ms": round(mean * 1000, 2),
        "bound_messages_per_s": round(1 / mean, 1) if mean > 0 else float("inf"),
    }


async def benchmark_served(
    settings: Settings,
    questions: list[str],
    citizens: int,
    per_citizen: int,
    timeout: float = 120.0,
    flood: int = 0,
    warm: bool = True,
) -> dict:
    """The real `helpdesk serve` process against the loopback server run here: one pass with the
    reply cache off (cold), one with it on (warm; ``warm=False`` leaves it out); with ``flood``
    messages, the flood passes under the shipped default rate limit."""
    data_dir = settings.data_dir
    helpdesk = Helpdesk.from_settings(settings)
    expected_for = expectations(helpdesk, questions)
    report: dict = {"citizens": citizens, "messages_each": per_citizen}
    passes = (("cold", 0, 10_000_000), ("warm", 4096, 20_000_000))
    for name, cache_size, first_user in passes if warm else passes[:1]:
        async with served_bot(data_dir, per_minute=100_000, burst=100_000, cache_size=cache_size) as (
            fake,
            peak_memory_mb,
        ):
            if name == "warm":  # fill the cache as frequent questions would
                await run_pass(fake, questions, 1, len(questions), 30_000_000, timeout, expected_for)
            report[name] = await run_pass(
                fake, questions, citizens, per_citizen, first_user, timeout, expected_for
            )
            report[name]["bot_peak_memory_mb"] = peak_memory_mb()
        if name == "cold":  # the bound, measured in the same run, the bot just stopped
            report["encoder"] = encoder_bound(helpdesk, questions)
            report["cold"]["vs_encoder_bound"] = round(
                report["cold"]["messages_per_s"] / report["encoder"]["bound_messages_per_s"], 3
            )
    if flood:
        report["flood"] = await flood_passes(
            lambda: served_bot(data_dir, per_minute=DEFAULT_PER_MINUTE, burst=DEFAULT_BURST, cache_size=0),
            questions,
            citizens,
            per_citizen,
            flood,
            timeout,
            expected_for,
            DEFAULT_PER_MINUTE,
            DEFAULT_BURST,
        )
    return report


async def benchmark(
    settings: Settings,
    questions: list[str],
    citizens: int,
    per_citizen: int,
    timeout: float = 120.0,
    helpdesk: Helpdesk | None = None,
    flood: int = 0,
) -> dict:
    """The same load with the Dispatcher in this process (used by the tests)."""
    helpdesk = helpdesk or Helpdesk.from_settings(settings)
    expected_for = expectations(helpdesk, questions)
    cache_size = helpdesk.cache_size
    async with in_process_bot(settings, helpdesk, rate_limit_per_minute=10_000, rate_limit_burst=10_000) as (
        fake,
        _,
    ):
        helpdesk.cache_size = 0  # cold: every message goes through the models
        cold = await run_pass(fake, questions, citizens, per_citizen, 10_000_000, timeout, expected_for)
        helpdesk.cache_size = cache_size or 4096
        warm = await run_pass(fake, questions, citizens, per_citizen, 20_000_000, timeout, expected_for)
    report = {"citizens": citizens, "messages_each": per_citizen, "cold": cold, "warm": warm}
    if flood:
        report["flood"] = await benchmark_flood(
            settings, questions, citizens, per_citizen, flood, timeout, helpdesk
        )
    report["peak_memory_mb"] = own_peak_memory_mb()
    return report


async def benchmark_flood(
    settings: Settings,
    questions: list[str],
    citizens: int,
    per_citizen: int,
    flood: int,
    timeout: float = 120.0,
    helpdesk: Helpdesk | None = None,
) -> dict:
    """The flood passes with the Dispatcher in this process, under ``settings``' own rate limit
    (the shipped default unless the caller changed it), reply cache off."""
    helpdesk = helpdesk or Helpdesk.from_settings(settings)
    expected_for = expectations(helpdesk, questions)
    cache_size, helpdesk.cache_size = helpdesk.cache_size, 0
    try:
        return await flood_passes(
            lambda: in_process_bot(settings, helpdesk),
            questions,
            citizens,
            per_citizen,
            flood,
            timeout,
            expected_for,
            settings.rate_limit_per_minute,
            settings.rate_limit_burst,
        )
    finally:
        helpdesk.cache_size = cache_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path, help="JSON Lines with a 'text' per line")
    parser.add_argument("--citizens", type=int, default=50)
    parser.add_argument("--messages", type=int, default=10, help="messages per citizen")
    parser.add_argument(
        "--flood",
        type=int,
        default=0,
        metavar="M",
        help="also the flood passes: one more citizen sends M messages at once (0 = skip)",
    )
    parser.add_argument(
        "--workers",
        type=lambda text: [int(n) for n in text.split(",")],
        metavar="N[,N...]",
        help="webhook mode with this many worker processes, each count in turn (e.g. 1,2)",
    )
    parser.add_argument(
        "--cold-only", action="store_true", help="only the cold pass and the encoder's bound (no warm pass)"
    )
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--database-url", help="with --backend postgres: the database to run on")
    parser.add_argument("--redis-url", help="with --workers: the workers share state in this Redis")
    args = parser.parse_args()
    if args.backend == "postgres" and not (args.database_url and args.workers):
        parser.error("--backend postgres needs --workers and --database-url")
    if args.workers and args.flood:
        parser.error("--flood runs in polling mode; leave out --workers")
    questions = [
        json.loads(line)["text"]
        for line in args.file.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    settings = load_settings()
    if args.workers:
        from bench_workers import benchmark_workers

        backend_env = {"HELPDESK_DATABASE_URL": args.database_url} if args.backend == "postgres" else {}
        if args.redis_url:
            backend_env["HELPDESK_REDIS_URL"] = args.redis_url
        report = asyncio.run(
            benchmark_workers(settings, questions, args.citizens, args.messages, args.workers, backend_env)
        )
        report["backend"] = args.backend + ("+redis" if args.redis_url else "")
    else:
        report = asyncio.run(
            benchmark_served(
                settings, questions, args.citizens, args.messages, flood=args.flood, warm=not args.cold_only
            )
        )
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
