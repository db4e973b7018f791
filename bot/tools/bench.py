"""``helpdesk bench``: latency of ``ask`` over an evaluation file, and the index build time."""

from __future__ import annotations

import os
import platform
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from bot.config import Settings
from bot.tools.evaluation import read_items
from bot.wiring import knowledge_base
from retrieval.embedders import make_embedder
from retrieval.index import build_index, save_index

if TYPE_CHECKING:
    from bot.dialogue import Helpdesk

T = TypeVar("T")


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


# The per-stage timings, in the order the pipeline meets them. ``ask`` is the whole served
# ``Helpdesk.reply`` (encoding overlapped with the intent models); ``ask, one after the other`` the
# same with the overlap off; ``encoder alone`` the bare model call on the raw text.
STAGES = (
    "normalize",
    "intents",
    "encode",
    "search",
    "decide",
    "ask",
    "ask, one after the other",
    "encoder alone",
)


def stage_timings(helpdesk: Helpdesk, texts: list[str], repeat: int = 1) -> dict[str, list[float]]:
    """Milliseconds per stage and question, every stage timed on the same question in turn, in one
    process (so the machine's load is shared alike): the stages on their own, the whole ``ask``
    with and without the overlap, and the encoder alone. The reply cache is off throughout."""
    from bot.dialogue import Observation

    cache_size, ahead = helpdesk.cache_size, helpdesk.encode_ahead
    helpdesk.cache_size = 0
    timings: dict[str, list[float]] = {stage: [] for stage in STAGES}
    searcher = helpdesk.searcher

    def timed(stage: str, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        t0 = time.perf_counter()
        out = call(*args, **kwargs)
        timings[stage].append((time.perf_counter() - t0) * 1000)
        return out

    try:
        helpdesk.reply("salam")  # warm-up: the first call pays for lazy set-up
        for _ in range(max(1, repeat)):
            for text in texts:
                _, query, lang, query_lang, fallback = timed("normalize", helpdesk._prelude, text, None)
                intent, sectors, topics = timed("intents", helpdesk.intents.read, query)
                vector = timed("encode", searcher.encode, query, query_lang)
                scores = timed("search", searcher.raw_scores, query, "hybrid", query_lang, vector)
                obs = Observation(
                    text, query, lang, query_lang, "hybrid", intent, sectors, scores, fallback, topics
                )
                timed("decide", helpdesk.reply_from, obs)
                helpdesk.encode_ahead = True
                timed("ask", helpdesk.reply, text)
                helpdesk.encode_ahead = False
                timed("ask, one after the other", helpdesk.reply, text)
                timed("encoder alone", searcher.embedder.encode_queries, [text])
    finally:
        helpdesk.cache_size, helpdesk.encode_ahead = cache_size, ahead
    return timings


def format_stages(timings: dict[str, list[float]]) -> list[str]:
    lines = []
    for stage, values in timings.items():
        if values:
            lat = np.array(values)
            lines.append(
                f"  {stage}: p50 {np.percentile(lat, 50):.2f} ms, p95 {np.percentile(lat, 95):.2f} ms, "
                f"mean {lat.mean():.2f} ms"
            )
    ask, encoder = timings.get("ask"), timings.get("encoder alone")
    if ask and encoder:
        ratio = float(np.percentile(ask, 95) / np.percentile(encoder, 95))
        lines.append(f"  ask p95 / encoder alone p95: {ratio:.2f}")
    return lines


def run_benchmark(settings: Settings, file: Path, repeat: int = 1, build: bool = True) -> str:
    from bot.dialogue import Helpdesk

    items = read_items(file)
    kb = knowledge_base(settings)
    started = time.perf_counter()
    embedder = make_embedder(settings.embedder)
    load_model_s = time.perf_counter() - started

    lines = [f"machine: {machine()}", f"embedder: {embedder.name} (load {load_model_s:.2f} s)"]
    if build:
        started = time.perf_counter()
        index = build_index(kb, embedder)
        with tempfile.TemporaryDirectory() as tmp:
            save_index(index, Path(tmp) / "index")
        build_s = time.perf_counter() - started
        lines.append(
            f"index build: {len(kb.articles)} articles, {index.meta.chunks} passages in {build_s:.1f} s"
        )

    helpdesk = Helpdesk.from_settings(settings, embedder=embedder)
    helpdesk.cache_size = 0  # time the pipeline itself, not the reply cache
    helpdesk.reply("salam")  # warm-up: first call pays for lazy set-up
    latencies = []
    wall = time.perf_counter()
    for _ in range(max(1, repeat)):
        for item in items:
            t0 = time.perf_counter()
            helpdesk.reply(item["text"])
            latencies.append((time.perf_counter() - t0) * 1000)
    wall = time.perf_counter() - wall
    lat = np.array(latencies)
    timings = stage_timings(helpdesk, [item["text"] for item in items], repeat)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return "\n".join(
        [
            *lines,
            f"ask: {len(latencies)} questions, p50 {np.percentile(lat, 50):.1f} ms, "
            f"p95 {np.percentile(lat, 95):.1f} ms, max {lat.max():.1f} ms, "
            f"{len(latencies) / wall:.1f} questions/s (one thread, reply cache off)",
            f"stages, side by side on the same {len(timings['ask'])} questions (ms):",
            *format_stages(timings),
            f"peak memory: {rss_mb:.0f} MB",
        ]
    )
