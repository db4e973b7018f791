"""Does the best article really answer this question, or is it a near miss?

The best article's score alone cannot tell (0.63 for the passport card on a military-service
question). A small logistic model reads more evidence: the best article's fused, dense and BM25
scores, the best directory service's (one no article covers), how far the article stands above
the runner-up and above that service, how many of the question's content words the article
holds, and the topic classifier's probability for it. It is fitted by
``scripts/calibrate_answerability.py`` on the served pipeline's observations of our own labelled
tuning questions (``eval/tuning*.jsonl``) and saved as JSON.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import NamedTuple

from retrieval.search import SearchResult

DEFAULT_MODEL = Path(__file__).resolve().parent / "data" / "answerability.json"
FEATURES = (
    "article",
    "article_dense",
    "article_lexical",
    "service",
    "service_dense",
    "service_lexical",
    "coverage",
    "margin",
    "article_minus_service",
    "topic_prob",
)
MODEL_FORMAT = 2


class Evidence(NamedTuple):
    article: float
    article_dense: float
    article_lexical: float
    service: float
    service_dense: float
    service_lexical: float
    coverage: float
    margin: float
    article_minus_service: float
    topic_prob: float


def evidence(result: SearchResult, coverage: float, topic_prob: float = 0.0) -> Evidence:
    top, service = result.top, result.top_service
    a = top.score if top else 0.0
    s = service.score if service else 0.0
    return Evidence(
        a,
        top.dense if top else 0.0,
        top.lexical if top else 0.0,
        s,
        service.dense if service else 0.0,
        service.lexical if service else 0.0,
        coverage,
        result.margin,
        a - s,
        topic_prob,
    )


@dataclass(frozen=True)
class AnswerabilityModel:
    """P(the best article answers the question) from :class:`Evidence`; the scale is a
    standardisation fitted with the weights."""

    weights: tuple[float, ...]
    intercept: float
    means: tuple[float, ...]
    scales: tuple[float, ...]
    fitted_on: str = ""
    format: int = MODEL_FORMAT

    def __post_init__(self) -> None:
        n = len(FEATURES)
        if not (len(self.weights) == len(self.means) == len(self.scales) == n):
            raise ValueError(f"an answerability model needs {n} weights, means and scales")
        if any(s <= 0 for s in self.scales):
            raise ValueError("scales must be positive")

    def probability(self, ev: Evidence) -> float:
        z = self.intercept + sum(
            w * (x - m) / s for w, x, m, s in zip(self.weights, ev, self.means, self.scales)
        )
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def save(self, path: Path) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        data = dict(asdict(self), features=list(FEATURES))
        Path(path).write_text(json.dumps(data, indent=1), encoding="utf-8")

    @classmethod
    def load(cls, path: Path = DEFAULT_MODEL) -> AnswerabilityModel | None:
        """The saved model, or None when there is none (the check is then off)."""
        path = Path(path)
        if not path.is_file():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != MODEL_FORMAT or tuple(data.get("features", ())) != FEATURES:
            raise ValueError(
                f"{path}: answerability model of another format: run scripts/calibrate_answerability.py"
            )
        return cls(
            tuple(data["weights"]),
            float(data["intercept"]),
            tuple(data["means"]),
            tuple(data["scales"]),
            data.get("fitted_on", ""),
        )

    @classmethod
    def fit(
        cls, samples: list[Evidence], labels: list[int], c: float = 1.0, fitted_on: str = ""
    ) -> AnswerabilityModel:
        import numpy as np
        from sklearn.linear_model import LogisticRegression

        if len(set(labels)) < 2:
            raise ValueError("need answerable and unanswerable examples")
        x = np.array(samples, dtype=float)
        means, scales = x.mean(axis=0), x.std(axis=0)
        scales[scales < 1e-6] = 1.0
        model = LogisticRegression(C=c, max_iter=5000).fit((x - means) / scales, labels)
        return cls(
            tuple(float(w) for w in model.coef_[0]),
            float(model.intercept_[0]),
            tuple(float(m) for m in means),
            tuple(float(s) for s in scales),
            fitted_on,
        )
