"""Which part of a card a follow-up asks for, learned from examples (``data/followups/*.yaml``).

The cue words of ``bot.followups`` catch the usual phrasings; this model reads the rest — typos,
inflections, long-winded or unusual wording ("сколько рассматривают?", "is it updatd instantly?")
— as one of fee, duration, documents, where, link, eligibility, or ``none`` (not asking for a
part: thanks, a new question, a complaint). Character and word TF-IDF over the folded text, one
logistic regression; it trains in about a second, so the bot trains it once per process from the
bundled examples (:func:`bundled_part_model`) rather than shipping a file.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from knowledge.common import LANGS
from retrieval.normalize import fold

FOLLOWUPS_DIR = Path(__file__).resolve().parent / "data" / "followups"
LABELS = ("fee", "duration", "documents", "where", "link", "eligibility", "none")


class PartDataError(ValueError):
    """A follow-up examples file is malformed (said with its path)."""


@dataclass(frozen=True)
class PartExamples:
    texts: list[str]
    labels: list[str]


def read_examples(directory: Path = FOLLOWUPS_DIR) -> PartExamples:
    texts: list[str] = []
    labels: list[str] = []
    files = sorted(Path(directory).glob("*.yaml"))
    if not files:
        raise PartDataError(f"{directory}: no follow-up example files")
    for path in files:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            label = data["label"]
            examples = data["examples"]
        except (yaml.YAMLError, KeyError, TypeError) as exc:
            raise PartDataError(f"{path}: not a follow-up examples file ({exc})") from exc
        if label not in LABELS or label != path.stem:
            raise PartDataError(f"{path}: label {label!r} must be the file's name and one of {LABELS}")
        for lang in LANGS:
            for text in examples.get(lang) or []:
                if isinstance(text, str) and text.strip():
                    texts.append(text)
                    labels.append(label)
    return PartExamples(texts, labels)


class PartClassifier:
    """``predict(text)`` → (label, probability); ``fit(examples)`` trains it."""

    def __init__(self, c: float = 4.0) -> None:
        if c <= 0:
            raise ValueError("c must be positive")
        self.pipeline = Pipeline(
            [
                (
                    "features",
                    FeatureUnion(
                        [
                            (
                                "chars",
                                TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
                            ),
                            ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
                        ]
                    ),
                ),
                ("model", LogisticRegression(C=c, max_iter=2000)),
            ]
        )
        self.fitted = False

    def fit(self, examples: PartExamples) -> PartClassifier:
        if len(set(examples.labels)) < 2:
            raise PartDataError("follow-up examples need at least two labels")
        self.pipeline.fit([fold(t) for t in examples.texts], examples.labels)
        self.fitted = True
        return self

    def predict(self, text: str) -> tuple[str, float]:
        if not self.fitted:
            raise RuntimeError("the part classifier is not trained")
        probabilities = self.pipeline.predict_proba([fold(text)])[0]
        best = int(np.argmax(probabilities))
        return str(self.pipeline.classes_[best]), float(probabilities[best])


@functools.lru_cache(maxsize=1)
def bundled_part_model() -> PartClassifier:
    """The classifier trained on the bundled examples, once per process."""
    return PartClassifier().fit(read_examples())
