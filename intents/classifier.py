"""The intent classifier: what kind of message it is, which sector and which topic it is about.

One vectorization — word and character TF-IDF over the normalized text — feeds three logistic
regression heads: the intent (trained on the hand-written utterances of ``intents/data/*.yaml``,
widened with copies of the Azerbaijani ones typed without letters, and for ``question`` the
example questions of the knowledge base and the directory's service names), the sector and the
article topic (trained on the articles' titles, example questions and keywords), both priors for
retrieval. The text is vectorized once per message for all three. Saved with a format version; a
model saved by another version is refused with the command that retrains it.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn
import yaml
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from intents.rules import INTENTS, IntentPrediction
from knowledge.alphabet import AZ_FOLD
from knowledge.loader import LANGS, KnowledgeBase
from retrieval.normalize import az_lower, clean, fold
from retrieval.search import SERVICE_TOPIC

CLASSIFIER_VERSION = 3  # 3: one shared vectorization, three heads (intent, sector, topic)
DATA_DIR = Path(__file__).resolve().parent / "data"
_STRIP_AZ = str.maketrans("".join(AZ_FOLD), "".join(AZ_FOLD.values()))


class IntentModelError(RuntimeError):
    """The saved intent model is missing, damaged or from another version."""


@dataclass(frozen=True)
class TrainingSet:
    texts: list[str]
    labels: list[str]
    langs: list[str]

    @property
    def digest(self) -> str:
        h = hashlib.sha256()
        for text, label in zip(self.texts, self.labels):
            h.update(f"{label}\t{text}\n".encode())
        return h.hexdigest()[:16]


def strip_letters(text: str) -> str:
    """Azerbaijani as typed on a phone without its letters (case kept)."""
    return text.translate(_STRIP_AZ)


def load_training_data(
    data_dir: Path = DATA_DIR, kb_questions: dict[str, list[tuple[str, str]]] | None = None
) -> TrainingSet:
    """Utterances per intent; ``kb_questions`` (lang → [(text, sector)]) join ``question``."""
    texts: list[str] = []
    labels: list[str] = []
    langs: list[str] = []

    def add(text: str, label: str, lang: str) -> None:
        texts.append(text)
        labels.append(label)
        langs.append(lang)
        if lang == "az" and strip_letters(text) != text:
            add(strip_letters(text), label, lang)

    files = sorted(Path(data_dir).glob("*.yaml"))
    if not files:
        raise IntentModelError(f"no training data (*.yaml) in {data_dir}")
    for path in files:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise IntentModelError(f"{path}: broken YAML ({exc})") from exc
        intent = data.get("intent") if isinstance(data, dict) else None
        if intent not in INTENTS:
            raise IntentModelError(f"{path}: unknown intent {intent!r} (known: {', '.join(INTENTS)})")
        for lang, examples in (data.get("examples") or {}).items():
            for example in examples or []:
                add(str(example), intent, lang)
    for lang, questions in (kb_questions or {}).items():
        for text, _sector in questions:
            add(text, "question", lang)
    return TrainingSet(texts, labels, langs)


def written_form(text: str) -> str:
    """Cleaned and lowercased, letters kept (a module-level function so the model pickles)."""
    return az_lower(clean(text))


def _features() -> FeatureUnion:
    # Words on the folded form (spelling-proof); characters on the written form, so a message
    # with real Azerbaijani letters still carries that signal. Folded copies in the training
    # data teach the character half the letterless spellings too.
    return FeatureUnion(
        [
            (
                "words",
                TfidfVectorizer(
                    preprocessor=fold,
                    ngram_range=(1, 2),
                    min_df=1,
                    sublinear_tf=True,
                    token_pattern=r"(?u)\b\w+\b",
                ),
            ),
            (
                "chars",
                TfidfVectorizer(
                    preprocessor=written_form,
                    analyzer="char_wb",
                    ngram_range=(2, 5),
                    min_df=1,
                    sublinear_tf=True,
                ),
            ),
        ]
    )


def make_pipeline(c: float = 8.0) -> Pipeline:
    if c <= 0:
        raise ValueError(f"C must be positive, got {c!r}")
    return Pipeline(
        [
            ("features", _features()),
            ("model", LogisticRegression(C=c, max_iter=3000, class_weight="balanced")),
        ]
    )


# Weights smaller than this are dropped from a fitted head: a topic head over ~170,000 n-grams is
# otherwise a 110 MB dense matrix; pruned and sparse it is a few MB and scores the same.
PRUNE_BELOW = 0.02


@dataclass(frozen=True)
class Head:
    """A fitted logistic-regression head, pruned to a sparse weight matrix."""

    classes: tuple[str, ...]
    coef: sparse.csr_matrix  # classes × features (one row when there are two classes)
    intercept: np.ndarray

    @classmethod
    def fit(cls, x: sparse.csr_matrix, labels: list[str], c: float) -> Head:
        model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced").fit(x, labels)
        weights = np.where(np.abs(model.coef_) >= PRUNE_BELOW, model.coef_, 0.0).astype(np.float32)
        return cls(
            tuple(str(k) for k in model.classes_),
            sparse.csr_matrix(weights),
            model.intercept_.astype(np.float32),
        )

    @cached_property
    def by_feature(self) -> sparse.csr_matrix:
        """The weights features × classes, row-major: a message's few n-grams pick a few rows
        (transposing on every call cost 10 ms a message)."""
        return self.coef.T.tocsr()

    def probabilities(self, x: sparse.csr_matrix) -> dict[str, float]:
        scores = (x @ self.by_feature).toarray().ravel() + self.intercept
        if len(self.classes) == 2:  # one column of log-odds
            p1 = float(1.0 / (1.0 + np.exp(-scores[0])))
            return {self.classes[0]: 1 - p1, self.classes[1]: p1}
        scores = np.exp(scores - scores.max())
        scores /= scores.sum()
        return {label: float(p) for label, p in zip(self.classes, scores)}


def _probabilities(head: Head | None, x: sparse.csr_matrix) -> dict[str, float]:
    return head.probabilities(x) if head is not None else {}


class IntentClassifier:
    """Intent, sector and topic prediction; ``analyze`` never raises on any text."""

    def __init__(self, c: float = 8.0) -> None:
        if c <= 0:
            raise ValueError(f"C must be positive, got {c!r}")
        self.c = c
        self.features = _features()
        self.intent_head: Head | None = None
        self.sector_head: Head | None = None
        self.topic_head: Head | None = None
        self.meta: dict[str, Any] = {}
        self.name = f"intents-lr-v{CLASSIFIER_VERSION}"

    def fit(
        self,
        data: TrainingSet,
        sector_texts: list[str] | None = None,
        sector_labels: list[str] | None = None,
        topic_texts: list[str] | None = None,
        topic_labels: list[str] | None = None,
    ) -> IntentClassifier:
        if len(set(data.labels)) < 2:
            raise ValueError("the intent classifier needs examples of at least two intents")
        sector_texts, sector_labels = sector_texts or [], sector_labels or []
        topic_texts, topic_labels = topic_texts or [], topic_labels or []
        # One vocabulary over everything the heads read, so one transform serves all three.
        self.features.fit(data.texts + sector_texts + topic_texts)
        self.intent_head = Head.fit(self.features.transform(data.texts), data.labels, self.c)
        if len(set(sector_labels)) >= 2:
            self.sector_head = Head.fit(self.features.transform(sector_texts), sector_labels, self.c)
        if len(set(topic_labels)) >= 2:
            self.topic_head = Head.fit(self.features.transform(topic_texts), topic_labels, self.c)
        self.meta = {
            "version": CLASSIFIER_VERSION,
            "sklearn": sklearn.__version__,
            "c": self.c,
            "data_digest": data.digest,
            "examples": dict(Counter(data.labels)),
            "topics": len(set(topic_labels)),
            "trained_at": time.time(),
        }
        return self

    def analyze_all(self, text: str) -> tuple[IntentPrediction, dict[str, float], dict[str, float]]:
        """Intent, sector probabilities and topic probabilities, from one vectorization."""
        text = clean(text if isinstance(text, str) else "")
        if not fold(text).strip(" .,!?"):
            return IntentPrediction("out_of_scope", 0.0), {}, {}
        x = self.features.transform([text])
        intents = _probabilities(self.intent_head, x)
        best = max(intents, key=intents.__getitem__)
        sectors = _probabilities(self.sector_head, x)
        sector = max(sectors, key=sectors.__getitem__) if sectors else None
        return IntentPrediction(best, intents[best], sector), sectors, _probabilities(self.topic_head, x)

    def analyze(self, text: str) -> tuple[IntentPrediction, dict[str, float]]:
        """The intent prediction and the sector probabilities."""
        prediction, sectors, _ = self.analyze_all(text)
        return prediction, sectors

    def predict(self, text: str) -> IntentPrediction:
        return self.analyze(text)[0]

    def probabilities(self, text: str) -> dict[str, float]:
        return _probabilities(self.intent_head, self.features.transform([clean(text)]))

    def sector_probabilities(self, text: str) -> dict[str, float]:
        return self.analyze(text)[1]

    def save(self, directory: Path) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        joblib.dump(
            {
                "features": self.features,
                "intent": self.intent_head,
                "sector": self.sector_head,
                "topic": self.topic_head,
            },
            directory / "intents.joblib",
        )
        (directory / "intents.json").write_text(json.dumps(self.meta, indent=1), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> IntentClassifier:
        directory = Path(directory)
        meta_path = directory / "intents.json"
        if not meta_path.is_file():
            raise IntentModelError(f"no intent model in {directory}: run `helpdesk intents train`")
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise IntentModelError(
                f"the intent model in {directory} is damaged: run `helpdesk intents train`"
            ) from exc
        if meta.get("version") != CLASSIFIER_VERSION or meta.get("sklearn") != sklearn.__version__:
            raise IntentModelError(
                f"the intent model was saved by version {meta.get('version')} (scikit-learn "
                f"{meta.get('sklearn')}); this is version {CLASSIFIER_VERSION} (scikit-learn "
                f"{sklearn.__version__}): run `helpdesk intents train`"
            )
        try:
            models = joblib.load(directory / "intents.joblib")
            classifier = cls(c=meta.get("c", 8.0))
            classifier.features, classifier.intent_head = models["features"], models["intent"]
            classifier.sector_head, classifier.topic_head = models["sector"], models["topic"]
        except Exception as exc:  # joblib raises many kinds on a damaged pickle
            raise IntentModelError(
                f"the intent model in {directory} is damaged ({exc}): run `helpdesk intents train`"
            ) from exc
        classifier.meta = meta
        return classifier


def kb_training_material(kb: KnowledgeBase) -> tuple[dict[str, list[tuple[str, str]]], list[str], list[str]]:
    """From the knowledge base: example questions for ``question``, and texts labelled by sector."""
    questions, sector_texts, sector_labels, _, _ = _material(kb)
    return questions, sector_texts, sector_labels


def kb_topic_material(kb: KnowledgeBase) -> tuple[list[str], list[str]]:
    """The articles' titles, example questions and keywords, labelled by topic."""
    return _material(kb)[3:]


def _material(
    kb: KnowledgeBase,
) -> tuple[dict[str, list[tuple[str, str]]], list[str], list[str], list[str], list[str]]:
    questions: dict[str, list[tuple[str, str]]] = {lang: [] for lang in LANGS}
    sector_texts: list[str] = []
    sector_labels: list[str] = []
    topic_texts: list[str] = []
    topic_labels: list[str] = []
    for article in kb.articles:
        for lang in LANGS:
            for question in article.questions.get(lang, []):
                questions[lang].append((question, article.sector))
            for text in [
                article.title[lang],
                *article.questions.get(lang, []),
                ", ".join(article.keywords.get(lang, [])),
            ]:
                variants = [text] + (
                    [strip_letters(text)] if lang == "az" and strip_letters(text) != text else []
                )
                for variant in variants:
                    sector_texts.append(variant)
                    sector_labels.append(article.sector)
                    topic_texts.append(variant)
                    topic_labels.append(article.topic)
    # Directory services: their names are things citizens ask about (question) and, with their
    # keywords, tell the sector of services no article covers; for the topic head they are one
    # class of their own, "a service no article covers", the prior of every such service.
    for entry in kb.directory.entries:
        topic = entry.topic if entry.topic is not None and entry.topic in kb.by_topic else SERVICE_TOPIC
        for lang in LANGS:
            questions[lang].append((entry.name[lang], entry.sector))
            for text in (entry.name[lang], ", ".join(entry.keywords[lang])):
                variants = [text] + (
                    [strip_letters(text)] if lang == "az" and strip_letters(text) != text else []
                )
                for variant in variants:
                    sector_texts.append(variant)
                    sector_labels.append(entry.sector)
                    topic_texts.append(variant)
                    topic_labels.append(topic)
    return questions, sector_texts, sector_labels, topic_texts, topic_labels


def _digest(data: TrainingSet, *labelled: list[str]) -> str:
    h = hashlib.sha256(data.digest.encode())
    for part in labelled:
        h.update("\x1f".join(part).encode())
    return h.hexdigest()[:16]


def training_digest(kb: KnowledgeBase, data_dir: Path = DATA_DIR) -> str:
    """What a model trained now would learn from, hashed: equal digests need no retraining."""
    questions, *labelled = _material(kb)
    return _digest(load_training_data(data_dir, questions), *labelled)


def train_classifier(kb: KnowledgeBase, data_dir: Path = DATA_DIR, c: float = 8.0) -> IntentClassifier:
    questions, sector_texts, sector_labels, topic_texts, topic_labels = _material(kb)
    data = load_training_data(data_dir, questions)
    classifier = IntentClassifier(c=c).fit(data, sector_texts, sector_labels, topic_texts, topic_labels)
    classifier.meta["data_digest"] = _digest(data, sector_texts, sector_labels, topic_texts, topic_labels)
    return classifier
