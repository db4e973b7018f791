"""Knowledge-base benchmark: the bundled knowledge base and synthetic ones of N articles.

For each size, in its own process (so that peak memory is its own): the first parse, the full
build (saving the passage cache, as ``kb build`` does), the load a restart does (the parse through
its cache, the saved index, the searcher and the term coverage), one changed article absorbed as
``kb build`` and the reloader do it (parse, previous index, passage cache, incremental build, save
of both), the answer latency (p50 and p95 of ``search`` over the same 300 questions; with the
bundled KB in the run, each size's p95 as a multiple of the bundled one's) and the peak RSS. Every
figure names the embedder it was taken with: the default ``fake`` (the deterministic hashing
embedder of the tests) measures the BM25, parse and index parts without the model's cost;
``--embedder e5`` adds the real encoder.

Usage:  python scripts/bench_kb.py [--sizes 1000,10000] [--no-bundled] [--embedder fake|e5|...]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.tools.bench import machine  # noqa: E402
from knowledge.editing import dump_article  # noqa: E402
from knowledge.loader import DEFAULT_ARTICLES_DIR, DEFAULT_COVERAGE, LANGS, load_knowledge_base  # noqa: E402
from retrieval.coverage import TermCoverage  # noqa: E402
from retrieval.embedders import Embedder, HashingEmbedder, make_embedder  # noqa: E402
from retrieval.index import build_index, load_index, load_previous, save_index  # noqa: E402
from retrieval.passage_cache import PassageCache  # noqa: E402
from retrieval.search import HybridSearcher  # noqa: E402

QUESTIONS = 300  # answered per knowledge base for the latency figures
# One changed article absorbed as `helpdesk kb build` and the reloader do it, step by step.
CHANGE_PARTS = (
    "kb_parse_cached",
    "previous_index_read",
    "passage_cache_read",
    "build",
    "save",
    "passage_cache_save",
)
WORDS = {
    "az": "vergi borc pensiya arayış sənəd müraciət ödəniş qeydiyyat vəsiqə kabinet xidmət mərkəz".split(),
    "ru": "налог долг пенсия справка документ заявление оплата регистрация кабинет услуга центр".split(),
    "en": "tax debt pension certificate document application payment registration cabinet service".split(),
}


def synthetic_kb(root: Path, count: int, seed: int = 7) -> tuple[Path, Path]:
    """``count`` small valid articles over as many synthetic topics, with a coverage file."""
    rng = random.Random(seed)
    articles, coverage = root / "articles", root / "coverage.yaml"
    (articles / "synthetic").mkdir(parents=True)
    topics = [f"synthetic-{i:05d}" for i in range(count)]
    coverage.write_text(
        "sectors:\n  synthetic: Synthetic\ntopics:\n"
        + "".join(
            f"  - {{id: {t}, sector: synthetic, portal: https://e-gov.az, about: x}}\n" for t in topics
        ),
        encoding="utf-8",
    )
    for topic in topics:
        title = {lang: " ".join(rng.sample(WORDS[lang], 4)) + "?" for lang in LANGS}
        meta = {
            "id": topic,
            "topic": topic,
            "sector": "synthetic",
            "title": title,
            "links": [{"title": {lang: "e-gov.az" for lang in LANGS}, "url": "https://e-gov.az"}],
            "agency": {lang: "agency" for lang in LANGS},
            "channel": "online",
            "documents": {lang: [] for lang in LANGS},
            "sources": [
                {
                    "url": "https://e-gov.az",
                    "title": "synthetic",
                    "accessed": dt.date(2026, 11, 25),
                    "supports": "synthetic",
                }
            ],
            "review": {"state": "draft"},
            "keywords": {lang: rng.sample(WORDS[lang], 3) for lang in LANGS},
            "questions": {lang: [] for lang in LANGS},
        }
        body = {lang: (title[lang], " ".join(rng.choices(WORDS[lang], k=25)) + ".") for lang in LANGS}
        (articles / "synthetic" / f"{topic}.md").write_text(dump_article(meta, body), encoding="utf-8")
    return articles, coverage


def _timed(work: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    result = work()
    return result, time.perf_counter() - started


def measure(articles: Path, coverage: Path, embedder: Embedder, out_dir: Path) -> dict[str, Any]:
    """Times of one knowledge base, in seconds; ``out_dir`` takes the index and the parse cache."""
    index_dir, cache = out_dir / "index", out_dir / "kb_parse_cache.pickle"
    passages_dir = out_dir / "passage_cache"
    kb, parse_s = _timed(lambda: load_knowledge_base(articles, coverage, cache_file=cache))

    def full_build() -> None:  # as `helpdesk kb build --full`: the passage cache saved beside
        passages = PassageCache(embedder.name, embedder.dim)
        save_index(build_index(kb, embedder, cache=passages), index_dir)
        passages.save(passages_dir)

    _, full_s = _timed(full_build)

    def restart() -> tuple[HybridSearcher, tuple[float, ...]]:
        loaded_kb, kb_s = _timed(lambda: load_knowledge_base(articles, coverage, cache_file=cache))
        loaded, index_s = _timed(lambda: load_index(index_dir, loaded_kb, embedder))
        searcher, searcher_s = _timed(lambda: HybridSearcher(loaded_kb, loaded, embedder))
        _, coverage_s = _timed(lambda: TermCoverage(loaded_kb))
        return searcher, (kb_s, index_s, searcher_s, coverage_s)

    (searcher, (kb_s, index_s, searcher_s, coverage_s)), load_s = _timed(restart)
    answer_ms = answer_latencies(searcher)
    del searcher  # (dropped as before the latencies were measured: the change step sees the same heap)
    # change one article, then absorb it as `helpdesk kb build` and the reloader do
    path = Path(kb.articles[len(kb.articles) // 2].path)
    path.write_text(
        path.read_text(encoding="utf-8") + "\nOne more sentence for the benchmark.\n", encoding="utf-8"
    )

    def absorb() -> tuple[Any, tuple[float, ...]]:
        changed, kb_s = _timed(lambda: load_knowledge_base(articles, coverage, cache_file=cache))
        previous, previous_s = _timed(lambda: load_previous(index_dir, embedder))
        passages, cache_read_s = _timed(lambda: PassageCache.load(passages_dir, embedder))
        second, build_s = _timed(lambda: build_index(changed, embedder, previous=previous, cache=passages))
        _, save_s = _timed(lambda: save_index(second, index_dir))
        _, cache_save_s = _timed(lambda: passages.save(passages_dir))
        return second, (kb_s, previous_s, cache_read_s, build_s, save_s, cache_save_s)

    (second, change_parts), change_s = _timed(absorb)
    return {
        "articles": len(kb.articles),
        "passages": second.meta.chunks,
        "embedder": embedder.name,
        "first_parse_s": round(parse_s, 2),
        "full_build_s": round(full_s, 2),
        "load_s": round(load_s, 2),
        "load_parts_s": {
            "kb_parse_cached": round(kb_s, 2),
            "index_read": round(index_s, 2),
            "searcher_restorer": round(searcher_s, 2),
            "term_coverage": round(coverage_s, 2),
        },
        "one_article_change_s": round(change_s, 2),
        "change_parts_s": dict(
            zip(
                CHANGE_PARTS,
                (round(t, 2) for t in change_parts),
            )
        ),
        "answer_p50_ms": round(_percentile(answer_ms, 0.5), 2),
        "answer_p95_ms": round(_percentile(answer_ms, 0.95), 2),
        "incremental_one_article_s": round(change_s, 2),  # (the name earlier reports used)
        "re_embedded_passages": second.report.embedded_passages,
    }


def answer_latencies(searcher: HybridSearcher, count: int = QUESTIONS, seed: int = 11) -> list[float]:
    """Milliseconds of ``searcher.search`` (encoding, BM25, faiss, fusion) for ``count`` questions
    made of the synthetic words in every language: the same questions for every knowledge base."""
    rng = random.Random(seed)
    questions = [
        (lang, " ".join(rng.sample(WORDS[lang], 3)) + "?")
        for _ in range(count // len(LANGS))
        for lang in LANGS
    ]
    searcher.search(questions[0][1], lang=questions[0][0])  # the first call's one-off costs are no answer's
    times = []
    for lang, question in questions:
        started = time.perf_counter()
        searcher.search(question, lang=lang)
        times.append((time.perf_counter() - started) * 1000)
    return times


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # Linux: KiB


def one_size(size: int, embedder_spec: str) -> dict[str, Any]:
    """One knowledge base in this process: 0 is the bundled one, N a synthetic one of N articles."""
    embedder = HashingEmbedder(384) if embedder_spec == "fake" else make_embedder(embedder_spec)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if size == 0:
            shutil.copytree(DEFAULT_ARTICLES_DIR, root / "bundled" / "articles")
            shutil.copytree(DEFAULT_ARTICLES_DIR.parent / "directory", root / "bundled" / "directory")
            articles, coverage = root / "bundled" / "articles", DEFAULT_COVERAGE
        else:
            articles, coverage = synthetic_kb(root / "synthetic", size)
        result = measure(articles, coverage, embedder, root)
    result["kb"] = "bundled" if size == 0 else f"synthetic {size}"
    result["peak_rss_mb"] = _peak_rss_mb()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="synthetic KB sizes, comma-separated")
    parser.add_argument("--no-bundled", action="store_true", help="skip the bundled knowledge base")
    parser.add_argument(
        "--embedder", default="fake", help="fake (hashing, 384 dims: no model cost), e5, or a spec"
    )
    parser.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)  # a child run
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(one_size(args.one, args.embedder)))
        return
    sizes = ([] if args.no_bundled else [0]) + [int(n) for n in args.sizes.split(",") if n.strip()]
    runs = []
    for size in sizes:  # one process per size: its peak RSS is its own
        child = subprocess.run(
            [sys.executable, __file__, "--one", str(size), "--embedder", args.embedder],
            check=True,
            capture_output=True,
            text=True,
        )
        runs.append(json.loads(child.stdout.strip().splitlines()[-1]))
    embedder = "fake:hashing-384 (deterministic, no model)" if args.embedder == "fake" else args.embedder
    print(json.dumps(report(runs, machine(), embedder), indent=1, ensure_ascii=False))


def report(runs: list[dict[str, Any]], machine_name: str, embedder: str) -> dict[str, Any]:
    """The runs, and each synthetic size's answer p95 as a multiple of the bundled KB's."""
    bundled = next((run for run in runs if run["kb"] == "bundled"), None)
    if bundled is not None and bundled["answer_p95_ms"] > 0:
        for run in runs:
            run["answer_p95_vs_bundled"] = round(run["answer_p95_ms"] / bundled["answer_p95_ms"], 2)
    return {"machine": machine_name, "embedder": embedder, "runs": runs}


if __name__ == "__main__":
    main()
