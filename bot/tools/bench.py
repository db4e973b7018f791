"""``helpdesk bench``: latency of ``ask`` over an evaluation file, and the index build time."""

from __future__ import annotations

import os
import platform
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from bot.config import Settings
from bot.tools.evaluation import read_items
from bot.wiring import knowledge_base
from retrieval.embedders import make_embedder
from retrieval.index import build_index, save_index


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


def run_benchmark(settings: Settings, file: Path, repeat: int = 1) -> str:
    from bot.dialogue import Helpdesk

    items = read_items(file)
    kb = knowledge_base(settings)
    started = time.perf_counter()
    embedder = make_embedder(settings.embedder)
    load_model_s = time.perf_counter() - started

    started = time.perf_counter()
    index = build_index(kb, embedder)
    with tempfile.TemporaryDirectory() as tmp:
        save_index(index, Path(tmp) / "index")
    build_s = time.perf_counter() - started

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
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return "\n".join(
        [
            f"machine: {machine()}",
            f"embedder: {embedder.name} (load {load_model_s:.2f} s)",
            f"index build: {len(kb.articles)} articles, {index.meta.chunks} passages in {build_s:.1f} s",
            f"ask: {len(latencies)} questions, p50 {np.percentile(lat, 50):.1f} ms, "
            f"p95 {np.percentile(lat, 95):.1f} ms, max {lat.max():.1f} ms, "
            f"{len(latencies) / wall:.1f} questions/s (one thread, reply cache off)",
            f"peak memory: {rss_mb:.0f} MB",
        ]
    )
