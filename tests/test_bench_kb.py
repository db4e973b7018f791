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
