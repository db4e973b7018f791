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
