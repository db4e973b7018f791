"""The intent classifier: what kind of message it is, and which sector a question is about.

A scikit-learn pipeline — word and character TF-IDF over the normalized text, then logistic
regression — trained on the hand-written utterances of ``intents/data/*.yaml`` (widened with
copies of the Azerbaijani ones typed without letters) and, for ``question``, the example questions
of the knowledge base. A second model of the same shape predicts the sector of a question from
the articles, as a prior for retrieval. Both are saved with a format version; a model saved by
another version is refused with the command that retrains it.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import joblib
import numpy as np
import sklearn
import yaml
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from intents.rules import INTENTS, IntentPrediction
from retrieval.normalize import az_lower, clean, fold

CLASSIFIER_VERSION = 2
DATA_DIR = Path(__file__).resolve().parent / "data"
LANGS = ("az", "ru", "en")
_STRIP_AZ = str.maketrans("əıöüğşçƏIÖÜĞŞÇİ", "eiougscEIOUGSCI")


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


def load_training_data(data_dir: Path = DATA_DIR, kb_questions: dict[str, list[tuple[str, str]]] | None = None
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
    return FeatureUnion([
        ("words", TfidfVectorizer(preprocessor=fold, ngram_range=(1, 2), min_df=1,
                                  sublinear_tf=True, token_pattern=r"(?u)\b\w+\b")),
        ("chars", TfidfVectorizer(preprocessor=written_form, analyzer="char_wb",
                                  ngram_range=(2, 5), min_df=1, sublinear_tf=True)),
    ])


def make_pipeline(c: float = 8.0) -> Pipeline:
    if c <= 0:
        raise ValueError(f"C must be positive, got {c!r}")
    return Pipeline([
        ("features", _features()),
        ("model", LogisticRegression(C=c, max_iter=3000, class_weight="balanced")),
    ])


class IntentClassifier:
    """Intent (+ sector) prediction; ``predict`` never raises on any text."""

    def __init__(self, c: float = 8.0) -> None:
        self.c = c
        self.intents = make_pipeline(c)
        self.sectors: Pipeline | None = None
        self.meta: dict = {}
        self.name = f"intents-lr-v{CLASSIFIER_VERSION}"

    def fit(self, data: TrainingSet, sector_texts: list[str] | None = None,
            sector_labels: list[str] | None = None) -> "IntentClassifier":
        if len(set(data.labels)) < 2:
            raise ValueError("the intent classifier needs examples of at least two intents")
        self.intents.fit(data.texts, data.labels)
        if sector_texts and sector_labels and len(set(sector_labels)) >= 2:
            self.sectors = make_pipeline(self.c).fit(sector_texts, sector_labels)
        self.meta = {
            "version": CLASSIFIER_VERSION, "sklearn": sklearn.__version__, "c": self.c,
            "data_digest": data.digest, "examples": dict(Counter(data.labels)),
            "trained_at": time.time(),
        }
        return self

    def analyze(self, text: str) -> tuple[IntentPrediction, dict[str, float]]:
        """The intent prediction and the sector probabilities, from one pass over the text."""
        text = clean(text if isinstance(text, str) else "")
        if not fold(text).strip(" .,!?"):
            return IntentPrediction("out_of_scope", 0.0), {}
        probs = self.intents.predict_proba([text])[0]
        best = int(np.argmax(probs))
        sectors: dict[str, float] = {}
        sector = None
        if self.sectors is not None:
            sector_probs = self.sectors.predict_proba([text])[0]
            sectors = {str(label): float(p) for label, p in zip(self.sectors.classes_, sector_probs)}
            sector = max(sectors, key=sectors.get)
        return IntentPrediction(str(self.intents.classes_[best]), float(probs[best]), sector), sectors

    def predict(self, text: str) -> IntentPrediction:
        return self.analyze(text)[0]

    def probabilities(self, text: str) -> dict[str, float]:
        probs = self.intents.predict_proba([clean(text)])[0]
        return {str(label): float(p) for label, p in zip(self.intents.classes_, probs)}

    def sector_probabilities(self, text: str) -> dict[str, float]:
        return self.analyze(text)[1]

    def save(self, directory: Path) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        joblib.dump({"intents": self.intents, "sectors": self.sectors}, directory / "intents.joblib")
        (directory / "intents.json").write_text(json.dumps(self.meta, indent=1), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> "IntentClassifier":
        directory = Path(directory)
        meta_path = directory / "intents.json"
        if not meta_path.is_file():
            raise IntentModelError(f"no intent model in {directory}: run `helpdesk intents train`")
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise IntentModelError(f"the intent model in {directory} is damaged: "
                                   "run `helpdesk intents train`") from exc
        if meta.get("version") != CLASSIFIER_VERSION or meta.get("sklearn") != sklearn.__version__:
            raise IntentModelError(
                f"the intent model was saved by version {meta.get('version')} (scikit-learn "
                f"{meta.get('sklearn')}); this is version {CLASSIFIER_VERSION} (scikit-learn "
                f"{sklearn.__version__}): run `helpdesk intents train`")
        try:
            models = joblib.load(directory / "intents.joblib")
        except Exception as exc:  # joblib raises many kinds on a damaged pickle
            raise IntentModelError(f"the intent model in {directory} is damaged ({exc}): "
                                   "run `helpdesk intents train`") from exc
        classifier = cls(c=meta.get("c", 8.0))
        classifier.intents, classifier.sectors, classifier.meta = models["intents"], models["sectors"], meta
        return classifier


def kb_training_material(kb) -> tuple[dict[str, list[tuple[str, str]]], list[str], list[str]]:
    """From the knowledge base: example questions for ``question``, and texts labelled by sector."""
    questions: dict[str, list[tuple[str, str]]] = {lang: [] for lang in LANGS}
    sector_texts: list[str] = []
    sector_labels: list[str] = []
    for article in kb.articles:
        for lang in LANGS:
            for question in article.questions.get(lang, []):
                questions[lang].append((question, article.sector))
            for text in [article.title[lang], *article.questions.get(lang, []),
                         ", ".join(article.keywords.get(lang, []))]:
                sector_texts.append(text)
                sector_labels.append(article.sector)
                if lang == "az" and strip_letters(text) != text:
                    sector_texts.append(strip_letters(text))
                    sector_labels.append(article.sector)
    # Directory services: their names are things citizens ask about (question) and, with their
    # keywords, tell the sector of services no article covers.
    for entry in kb.directory.entries:
        for lang in LANGS:
            questions[lang].append((entry.name[lang], entry.sector))
            for text in (entry.name[lang], ", ".join(entry.keywords[lang])):
                sector_texts.append(text)
                sector_labels.append(entry.sector)
                if lang == "az" and strip_letters(text) != text:
                    sector_texts.append(strip_letters(text))
                    sector_labels.append(entry.sector)
    return questions, sector_texts, sector_labels


def train_classifier(kb, data_dir: Path = DATA_DIR, c: float = 8.0) -> IntentClassifier:
    questions, sector_texts, sector_labels = kb_training_material(kb)
    data = load_training_data(data_dir, questions)
    return IntentClassifier(c=c).fit(data, sector_texts, sector_labels)
