import datetime as dt

import pytest

from bot.storage.sqlite import Store
from bot.tools.reports import (
    cluster_questions,
    gap_questions,
    gaps_csv,
    gaps_markdown,
    usage,
    usage_png,
    usage_text,
)

PARAPHRASES = [
    "Xaricdə yaşayıram, konsulluqda ailə tərkibi arayışı necə alım?",
    "xaricde yasayiram, konsulluqdan aile terkibi arayisi nece alim",
    "Как получить справку о составе семьи в консульстве за границей?",
    "How do I get a family composition certificate at the consulate abroad?",
    "konsulluqda ailə tərkibi haqqında arayış almaq olar?",
]
OTHERS = [
    "Who won the football match yesterday?",
    "Sabah Bakıda hava necə olacaq?",
    "Recommend a good pizza place in Baku",
]


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "h.sqlite3")
    for n, text in enumerate(PARAPHRASES + OTHERS):
        lang = "ru" if "Как" in text else ("en" if text[0] in "HWR" else "az")
        s.log_message(
            100 + n,
            100 + n,
            "in",
            text,
            lang=lang,
            action="handoff",
            intent="out_of_scope" if text in OTHERS else "question",
        )
    s.log_message(1, 1, "in", "vergi borcu", lang="az", action="answer", topic="tax-debt-check")
    answer = s.log_message(1, 1, "out", "card", lang="az", action="answer", topic="tax-debt-check")
    s.add_feedback(1, answer, "tax-debt-check", "az", False)
    s.log_message(2, 2, "in", "pasport", lang="az", action="answer", topic="passport")
    yield s
    s.close()


def test_gap_questions_take_handoffs_out_of_scope_and_thumbs_down(store):
    texts = {q["text"] for q in gap_questions(store)}
    assert set(PARAPHRASES + OTHERS) <= texts and "vergi borcu" in texts and "pasport" not in texts
    assert gap_questions(store, dt.date.today() + dt.timedelta(days=1)) == []


@pytest.mark.slow
def test_paraphrases_form_one_cluster(store, e5_embedder):
    clusters = cluster_questions(gap_questions(store), e5_embedder)
    biggest = clusters[0]
    assert biggest.size == len(PARAPHRASES)
    assert biggest.langs == {"az": 3, "ru": 1, "en": 1}
    assert all(c.size < len(PARAPHRASES) for c in clusters[1:])
    markdown = gaps_markdown(clusters, [{"ticket_id": 3, "lang": "az", "question": "q", "answer": "a"}])
    assert markdown.index("## 1. 5 questions") < markdown.index("## 2.") and "ticket #3" in markdown
    assert gaps_csv(clusters).splitlines()[0] == "cluster,size,az,ru,en,example"


def test_usage_counts_and_png(store, tmp_path):
    report = usage(store)
    today = dt.date.today().isoformat()
    assert report["per_day"][today] == {"handoff": 8, "answer": 2}
    assert ("tax-debt-check", 1) in report["busiest_topics"]
    assert report["thumbs_up_share"] == {"tax-debt-check / az": 0.0}
    assert "| " + today + " | 2 | 0 | 0 | 8 | 0 |" in usage_text(report)
    png = usage_png(report, tmp_path / "usage.png")
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    import matplotlib.image

    assert matplotlib.image.imread(png).shape[0] > 100  # decodes as an image
