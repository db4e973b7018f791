import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

import bench_kb  # noqa: E402

from knowledge.loader import load_knowledge_base  # noqa: E402
from retrieval.embedders import HashingEmbedder  # noqa: E402


def test_synthetic_kb_loads_and_measures(tmp_path):
    articles, coverage = bench_kb.synthetic_kb(tmp_path, 30)
    assert len(load_knowledge_base(articles, coverage).articles) == 30
    result = bench_kb.measure(articles, coverage, HashingEmbedder(32), tmp_path)
    assert result["articles"] == 30 and result["full_build_s"] >= 0
    # one changed article: only its passages are embedded again
    assert 0 < result["re_embedded_passages"] < result["passages"] / 10


def test_one_size_names_its_embedder_and_reports_load_change_and_memory():
    result = bench_kb.one_size(20, "fake")
    assert result["kb"] == "synthetic 20" and result["embedder"] == "fake:hashing-384"
    assert set(result["load_parts_s"]) == {
        "kb_parse_cached",
        "index_read",
        "searcher_restorer",
        "term_coverage",
    }
    assert tuple(result["change_parts_s"]) == bench_kb.CHANGE_PARTS
    assert {"passage_cache_read", "passage_cache_save"} <= set(bench_kb.CHANGE_PARTS)
    assert result["load_s"] >= 0 and result["one_article_change_s"] >= 0 and result["peak_rss_mb"] > 10
    assert 0 < result["re_embedded_passages"] <= result["passages"] // 20 + 1  # one article of 20


def test_every_answer_and_memory_figure_is_reported(monkeypatch, capsys):
    runs = {0: bench_kb.one_size(0, "fake"), 20: bench_kb.one_size(20, "fake")}

    class Child:
        def __init__(self, size):
            self.stdout = json.dumps(runs[size]) + "\n"

    monkeypatch.setattr(bench_kb.subprocess, "run", lambda cmd, **kw: Child(int(cmd[cmd.index("--one") + 1])))
    monkeypatch.setattr(bench_kb, "machine", lambda: "test machine")
    monkeypatch.setattr(sys, "argv", ["bench_kb.py", "--sizes", "20"])
    bench_kb.main()
    printed = json.loads(capsys.readouterr().out)
    bundled, synthetic = printed["runs"]
    for run in (bundled, synthetic):
        assert 0 < run["answer_p50_ms"] <= run["answer_p95_ms"] and run["peak_rss_mb"] > 10
    assert bundled["answer_p95_vs_bundled"] == 1.0
    assert synthetic["answer_p95_vs_bundled"] == round(
        synthetic["answer_p95_ms"] / bundled["answer_p95_ms"], 2
    )


def test_the_latencies_are_of_the_same_questions_every_time():
    class Recorder:
        def __init__(self):
            self.calls = []

        def search(self, text, lang=None):
            self.calls.append((text, lang))

    first, second = Recorder(), Recorder()
    assert len(bench_kb.answer_latencies(first, count=30)) == 30
    bench_kb.answer_latencies(second, count=30)
    assert first.calls == second.calls and {lang for _, lang in first.calls} == {"az", "ru", "en"}
