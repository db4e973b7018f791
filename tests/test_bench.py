import json

from bot.tools.bench import machine, run_benchmark


def test_benchmark_reports_latency_and_build(tiny_settings, tmp_path):
    file = tmp_path / "q.jsonl"
    file.write_text(
        json.dumps({"text": "vergi borcu", "lang": "az", "expect": {"action": "answer"}}), encoding="utf-8"
    )
    from click.testing import CliRunner

    from bot.cli import main

    CliRunner().invoke(main, ["kb", "build"], catch_exceptions=False)
    report = run_benchmark(tiny_settings, file, repeat=3)
    assert "ask: 3 questions, p50" in report
    assert "index build: 4 articles" in report
    assert "cores" in machine()


def test_every_stage_is_timed_on_every_question_side_by_side(tiny_settings):
    from bot.dialogue import Helpdesk
    from bot.tools.bench import STAGES, format_stages, stage_timings
    from bot.wiring import knowledge_base
    from retrieval.embedders import HashingEmbedder
    from retrieval.index import build_index, save_index

    embedder = HashingEmbedder(256)
    save_index(build_index(knowledge_base(tiny_settings), embedder), tiny_settings.index_dir)
    helpdesk = Helpdesk.from_settings(tiny_settings, embedder=embedder)
    helpdesk.cache_size = 7
    texts = ["vergi borcu", "Salam", "identity card"]
    timings = stage_timings(helpdesk, texts, repeat=2)
    assert list(timings) == list(STAGES)
    assert all(len(values) == 6 and min(values) >= 0 for values in timings.values())
    assert helpdesk.cache_size == 7 and helpdesk.encode_ahead  # as they were
    lines = format_stages(timings)
    assert any(line.strip().startswith("encoder alone: p50") for line in lines)
    assert lines[-1].strip().startswith("ask p95 / encoder alone p95:")
    report = run_benchmark(tiny_settings, _questions(tiny_settings.data_dir), build=False)
    assert "index build" not in report and "stages, side by side on the same 1 questions" in report


def _questions(folder):
    file = folder / "q.jsonl"
    file.write_text(json.dumps({"text": "vergi borcu", "expect": {"action": "answer"}}), encoding="utf-8")
    return file
