import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

import bench_telegram  # noqa: E402
import bench_workers  # noqa: E402
import pytest  # noqa: E402

from bot.dialogue import Helpdesk  # noqa: E402
from retrieval.embedders import HashingEmbedder  # noqa: E402
from retrieval.index import build_index, save_index  # noqa: E402


def test_expected_replies_counts_link_verdicts():
    assert bench_telegram.expected_replies("vergi borcu") == 1
    assert bench_telegram.expected_replies("https://e-gov.az") == 1
    assert bench_telegram.expected_replies("e-taxes.gov.az saytında vergi borcu necə yoxlanır") == 2
    assert bench_telegram.expected_replies("operator", "handoff") == 2  # answer + consent question
    assert bench_telegram.expected_replies("two questions", "answer", "answer") == 2  # one per question


async def test_benchmark_runs_end_to_end_and_loses_nothing(tiny_settings, tiny_kb):
    embedder = HashingEmbedder(64)
    save_index(build_index(tiny_kb, embedder), tiny_settings.index_dir)
    helpdesk = Helpdesk.from_settings(tiny_settings, embedder=embedder)
    report = await bench_telegram.benchmark(
        tiny_settings, ["vergi borcu", "Salam", "passport"], citizens=4, per_citizen=3, helpdesk=helpdesk
    )
    for run in ("cold", "warm"):
        assert report[run]["messages"] == 12
        assert report[run]["lost"] == 0 and report[run]["duplicated"] == 0
        assert report[run]["messages_per_s"] > 0 and report[run]["p95_ms"] >= report[run]["p50_ms"]


async def test_flood_is_rate_limited_and_loses_nothing_for_the_others(tiny_settings, tiny_kb):
    embedder = HashingEmbedder(64)
    save_index(build_index(tiny_kb, embedder), tiny_settings.index_dir)
    helpdesk = Helpdesk.from_settings(tiny_settings, embedder=embedder)
    settings = tiny_settings.model_copy(update={"rate_limit_burst": 4})
    report = await bench_telegram.benchmark_flood(
        settings, ["vergi borcu", "Salam", "passport"], citizens=3, per_citizen=6, flood=60, helpdesk=helpdesk
    )
    assert report["messages_each"] == 4  # capped at the burst: the limit never drops their messages
    for run in ("without_flooder", "with_flooder"):
        assert report[run]["messages"] == 12
        assert report[run]["lost"] == 0 and report[run]["duplicated"] == 0
        assert report[run]["p95_ms"] >= report[run]["p50_ms"]
    flooder = report["with_flooder"]["flooder"]
    assert flooder["sent"] == 60
    assert flooder["replies"] < flooder["sent"]
    assert flooder["rate_limit_warnings"] >= 1
    assert 4 <= flooder["answers"] <= flooder["answers_allowed_at_most"]
    assert "flooder" not in report["without_flooder"]


@pytest.mark.slow
async def test_webhook_workers_bench_side_by_side_loses_nothing(tiny_settings, tiny_kb):
    save_index(build_index(tiny_kb, HashingEmbedder(256)), tiny_settings.index_dir)
    report = await bench_workers.benchmark_workers(
        tiny_settings, ["vergi borcu", "Salam", "passport"], citizens=3, per_citizen=2, worker_counts=[1, 2]
    )
    print(report)  # a smoke run's figures (tiny knowledge base, hashing embedder)
    assert report["mode"] == "webhook" and set(report["workers"]) == {"1", "2"}
    for workers, runs in report["workers"].items():
        for run in ("cold", "warm"):
            assert runs[run]["messages"] == 6
            assert runs[run]["lost"] == 0 and runs[run]["duplicated"] == 0
            assert runs[run]["p95_ms"] >= runs[run]["p50_ms"] > 0
            memory = runs[run]["worker_peak_memory_mb"]
            assert len(memory) == int(workers) and all(m and m > 0 for m in memory)
    assert report["speedup_cold"]["2"] > 0


def test_the_encoder_bound_is_one_over_its_mean_time(tiny_settings, tiny_kb):
    embedder = HashingEmbedder(64)
    save_index(build_index(tiny_kb, embedder), tiny_settings.index_dir)
    helpdesk = Helpdesk.from_settings(tiny_settings, embedder=embedder)
    calls = embedder.calls
    bound = bench_telegram.encoder_bound(helpdesk, ["vergi borcu", "Salam", "passport"])
    assert embedder.calls == calls + 4  # a warm-up, then each question once
    assert bound["questions"] == 3 and bound["mean_encode_ms"] >= 0
    assert bound["bound_messages_per_s"] > 0
