"""Index build benchmark: the bundled knowledge base and a synthetic one of N articles.

Reports the full build time, and the incremental rebuild time after one article changes.

Usage:  python scripts/bench_kb.py [--synthetic 10000] [--embedder e5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.tools.bench import machine  # noqa: E402
from knowledge.editing import dump_article  # noqa: E402
from knowledge.loader import LANGS, load_knowledge_base  # noqa: E402
from retrieval.embedders import make_embedder  # noqa: E402
from retrieval.index import build_index, save_index  # noqa: E402

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


def measure(articles: Path, coverage: Path, embedder, out_dir: Path) -> dict:
    started = time.perf_counter()
    kb = load_knowledge_base(articles, coverage)
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    index = build_index(kb, embedder)
    save_index(index, out_dir / "index")
    full = time.perf_counter() - started
    # change one article, then rebuild incrementally
    path = Path(kb.articles[len(kb.articles) // 2].path)
    path.write_text(
        path.read_text(encoding="utf-8") + "\nOne more sentence for the benchmark.\n", encoding="utf-8"
    )
    started = time.perf_counter()
    kb2 = load_knowledge_base(articles, coverage)
    second = build_index(kb2, embedder, previous=index)
    save_index(second, out_dir / "index")
    incremental = time.perf_counter() - started
    return {
        "articles": len(kb.articles),
        "passages": index.meta.chunks,
        "load_s": round(loaded, 1),
        "full_build_s": round(full, 1),
        "incremental_one_article_s": round(incremental, 1),
        "re_embedded_passages": second.report.embedded_passages,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthetic", type=int, default=10_000, help="articles in the synthetic KB")
    parser.add_argument("--embedder", default="e5")
    args = parser.parse_args()
    embedder = make_embedder(args.embedder)
    report = {"machine": machine(), "embedder": embedder.name}
    with tempfile.TemporaryDirectory() as tmp:
        import shutil

        from knowledge.loader import DEFAULT_ARTICLES_DIR, DEFAULT_COVERAGE

        bundled = Path(tmp) / "bundled"
        shutil.copytree(DEFAULT_ARTICLES_DIR, bundled / "articles")
        report["bundled"] = measure(bundled / "articles", DEFAULT_COVERAGE, embedder, bundled)
        if args.synthetic:
            articles, coverage = synthetic_kb(Path(tmp) / "synthetic", args.synthetic)
            report["synthetic"] = measure(articles, coverage, embedder, Path(tmp) / "synthetic")
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
