"""Latency of ``Helpdesk.reply`` for two checkouts of the project, side by side in one run.

Usage:
  python scripts/bench_side_by_side.py QUESTIONS.jsonl \\
      --version old=/path/to/old/checkout:/path/to/its/data \\
      --version new=.:./data [--rounds 3] [--repeat 2]

Each version runs in its own process (its own code on ``sys.path``, its own data folder with a
built index and intent model); rounds alternate between the versions so both meet the same
machine load, and the reply cache is off. Prints p50/p95 per version over all rounds, and each
one's encoder alone (``encode_queries`` of the same questions) for comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

WORKER = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from bot.config import load_settings
from bot.dialogue import Helpdesk
texts = [json.loads(line)["text"] for line in open(sys.argv[2], encoding="utf-8") if line.strip()]
helpdesk = Helpdesk.from_settings(load_settings())
helpdesk.cache_size = 0
helpdesk.reply("salam")
repeat = int(sys.argv[3])
ask, encode = [], []
for _ in range(repeat):
    for text in texts:
        t0 = time.perf_counter(); helpdesk.reply(text); ask.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter(); helpdesk.searcher.embedder.encode_queries([text])
        encode.append((time.perf_counter() - t0) * 1000)
print(json.dumps({"ask": ask, "encode": encode}))
"""


def run_version(code: Path, data: Path, questions: Path, repeat: int) -> dict:
    env = dict(
        os.environ,
        HELPDESK_DATA_DIR=str(data),
        HELPDESK_ARTICLES_DIR=str(code / "knowledge" / "articles"),
        HELPDESK_COVERAGE_FILE=str(code / "knowledge" / "coverage.yaml"),
        PYTHONPATH=str(code),
    )
    out = subprocess.run(
        [sys.executable, "-c", WORKER, str(code), str(questions), str(repeat)],
        env=env,
        cwd=code,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", type=Path)
    parser.add_argument(
        "--version", action="append", required=True, help="NAME=CODE_DIR:DATA_DIR (give it twice or more)"
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    versions = []
    for spec in args.version:
        name, _, paths = spec.partition("=")
        code, _, data = paths.partition(":")
        versions.append((name, Path(code).resolve(), Path(data).resolve()))
    results: dict[str, dict[str, list[float]]] = {n: {"ask": [], "encode": []} for n, _, _ in versions}
    for _ in range(args.rounds):
        for name, code, data in versions:
            got = run_version(code, data, args.questions.resolve(), args.repeat)
            for key in ("ask", "encode"):
                results[name][key] += got[key]
    for name, r in results.items():
        ask, enc = np.array(r["ask"]), np.array(r["encode"])
        print(
            f"{name}: ask p50 {np.percentile(ask, 50):.1f} ms, p95 {np.percentile(ask, 95):.1f} ms; "
            f"encoder alone p50 {np.percentile(enc, 50):.1f} ms, p95 {np.percentile(enc, 95):.1f} ms "
            f"({len(ask)} questions)"
        )


if __name__ == "__main__":
    main()
