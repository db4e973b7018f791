import pytest

from retrieval.embedders import HashingEmbedder
from retrieval.index import build_index
from retrieval.search import FusionConfig, HybridSearcher, SearchResult


@pytest.fixture
def searcher(tiny_kb):
    embedder = HashingEmbedder(128)
    # Hashing vectors have low cosines: calibrate the dense half for them, not for e5.
    return HybridSearcher(
        tiny_kb, build_index(tiny_kb, embedder), embedder, FusionConfig(dense_floor=0.0, dense_ceiling=1.0)
    )


def test_hybrid_finds_topic_per_language(searcher):
    assert searcher.search("vergi borcumu nece yoxlayim").top.topic == "tax-debt-check"
    assert searcher.search("Как проверить налоговый долг").top.topic == "tax-debt-check"
    assert searcher.search("identity card").top.topic == "id-card"


def test_one_hit_per_topic_best_first(searcher):
    hits = searcher.search("vergi", k=10).hits
    assert len({h.topic for h in hits}) == len(hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_modes_use_only_their_half(searcher):
    bm25 = searcher.search("passport abroad", mode="bm25").top
    dense = searcher.search("passport abroad", mode="dense").top
    assert bm25.dense == 0 and bm25.lexical > 0
    assert dense.lexical == 0 and dense.dense > 0


def test_confidence_is_bounded_and_margin_sensible(searcher):
    result = searcher.search("vergi borcu")
    assert 0 < result.confidence <= 1
    assert result.margin == pytest.approx(result.hits[0].score - result.hits[1].score)
    assert SearchResult().confidence == 0 and SearchResult().top is None


def test_score_fusion_combines_both_halves(searcher):
    lexical, dense = {0: 12.0, 1: 1.0}, {1: 0.95, 0: 0.70}
    cfg = FusionConfig(dense_weight=0.5, dense_floor=0.8, dense_ceiling=0.9, bm25_half=12.0)
    searcher.config = cfg
    fused = searcher._fuse(lexical, dense, "hybrid")
    assert fused[0] == pytest.approx(0.5 * 0 + 0.5 * 0.5)
    assert fused[1] == pytest.approx(0.5 * 1 + 0.5 * (1 / 13))


def test_rrf_fusion_tops_out_at_one(searcher):
    searcher.config = FusionConfig(fusion="rrf")
    fused = searcher._fuse({0: 5.0, 1: 1.0}, {0: 0.9, 1: 0.8}, "hybrid")
    assert fused[0] == pytest.approx(1.0) and fused[1] < fused[0]


def test_empty_and_symbol_queries_find_nothing(searcher):
    assert searcher.search("").hits == []
    assert searcher.search("🙂🙂 ???").hits == []


def test_fusion_config_checked():
    with pytest.raises(ValueError):
        FusionConfig(dense_weight=1.5)
    with pytest.raises(ValueError):
        FusionConfig(dense_floor=0.9, dense_ceiling=0.8)


def test_searcher_refuses_index_of_other_articles(tiny_kb):
    embedder = HashingEmbedder(32)
    index = build_index(tiny_kb, embedder)
    index.meta.article_ids.reverse()
    with pytest.raises(ValueError, match="other articles"):
        HybridSearcher(tiny_kb, index, embedder)


def test_azerbaijani_queries_are_restored_for_the_dense_half(searcher):
    assert searcher.dense_text("sexsiyyet vesiqesi", "az") == "şəxsiyyət vəsiqəsi"
    assert searcher.dense_text("is card", "en") == "is card"  # English is left alone


def test_azerbaijani_in_russian_letters_is_read_by_the_heads_as_latin(searcher):
    # the intent, sector and topic heads learnt Azerbaijani from Latin text
    reading = searcher.reading_text("Верги борджуму недже йохламаг олар?", "az")
    assert reading.split()[:2] == ["vergi", "borcumu"]
    russian = "Как проверить налоговый долг?"
    assert searcher.reading_text(russian, "ru") == russian
    # Azerbaijani Cyrillic proper (ә, ј …) is transliterated exactly by the folding itself
    assert searcher.reading_text("Верҝи борҹуму нечә јохлајым?", "az") == "Верҝи борҹуму нечә јохлајым?"
