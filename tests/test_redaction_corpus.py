"""Recall and precision of redaction on a corpus of planted identifiers (printed with -s)."""

from pathlib import Path

import yaml

from bot.redact import redact

CORPUS = yaml.safe_load(
    (Path(__file__).parent / "data" / "redaction_corpus.yaml").read_text(encoding="utf-8")
)


def test_recall_and_precision_on_the_planted_corpus():
    caught = [item for item in CORPUS["redact"] if item["secret"] not in redact(item["text"])]
    spared = [text for text in CORPUS["keep"] if redact(text) == text]
    recall = len(caught) / len(CORPUS["redact"])
    precision = len(spared) / len(CORPUS["keep"])
    print(
        f"\nredaction recall {recall:.2f} ({len(caught)}/{len(CORPUS['redact'])}), "
        f"clean-text precision {precision:.2f} ({len(spared)}/{len(CORPUS['keep'])})"
    )
    missed = [i["text"] for i in CORPUS["redact"] if i not in caught]
    wrong = [t for t in CORPUS["keep"] if t not in spared]
    assert recall == 1.0, missed
    assert precision == 1.0, [(t, redact(t)) for t in wrong]
