"""The intent classifier: what kind of message it is, which sector and which topic it is about.

One vectorization — word and character TF-IDF over the normalized text — feeds three logistic
regression heads: the intent (trained on the hand-written utterances of ``intents/data/*.yaml``,
widened with copies of the Azerbaijani ones typed without letters, and for ``question`` the
example questions of the knowledge base and the directory's service names), the sector and the
article topic (trained on the articles' titles, example questions and keywords), both priors for
retrieval. The text is vectorized once per message for all three. Saved with a format version; a
model saved by another version is refused with the command that retrains it.

Answering never imports scikit-learn: the fitted union's vocabularies and idf are read by
:class:`Vectorizer`, which transforms one message as scikit-learn does, to the bit, without its
input checks; the serving file (``intents.serve.pickle``) holds it and the heads, and the joblib
with scikit-learn's own objects is read only when that file is missing or belongs to another save.
Nor does it import scipy (a sixth of a cold ``helpdesk ask``): the serving file holds numpy arrays
only — each vocabulary as a sorted string array (read in milliseconds, where unpickling the two
dicts of 170,000 n-grams took a tenth of a second) and each head as CSR arrays, multiplied in
numpy in scipy's order and precision, so the probabilities are the same to the bit.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import pickle
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # scikit-learn and scipy are imported where a model is fitted or its union read
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion, Pipeline

from intents.rules import INTENTS, IntentPrediction
from knowledge.alphabet import AZ_FOLD
from knowledge.loader import LANGS, KnowledgeBase
from retrieval.normalize import az_lower, clean, fold
from retrieval.restore import AzRestorer
from retrieval.search import SERVICE_TOPIC

CLASSIFIER_VERSION = 3  # 3: one shared vectorization, three heads (intent, sector, topic)
# What serving reads: the vectorizer's vocabularies and idf and the heads, with no scikit-learn
# object inside, so answering never imports scikit-learn (about a second of a cold start).
SERVING_FILE = "intents.serve.pickle"
SERVING_FORMAT = 2  # 2: numpy arrays only (sorted vocabularies, CSR heads); 1: dicts and scipy matrices
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

    import yaml

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
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

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
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

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
class FeatureRow:
    """One message's features, a 1 × ``width`` CSR row: ascending columns and their values."""

    indices: np.ndarray  # int32
    data: np.ndarray  # float64
    width: int

    @property
    def shape(self) -> tuple[int, int]:
        return (1, self.width)


@dataclass(frozen=True)
class FeatureWeights:
    """A head's weights features × classes as CSR arrays: a message's few n-grams pick a few rows."""

    indptr: np.ndarray
    indices: np.ndarray  # the class of each weight
    data: np.ndarray  # float32
    n_classes: int

    @classmethod
    def from_matrix(cls, matrix: sparse.spmatrix) -> FeatureWeights:
        rows = matrix.tocsr()
        return cls(rows.indptr, rows.indices, rows.data, rows.shape[1])

    def scores(self, x: FeatureRow) -> np.ndarray:
        """``x @ weights`` as scipy computes it (float64; each class's products added in the order
        of ``x``'s columns, then of the row's weights), without scipy."""
        starts = self.indptr[x.indices]
        counts = self.indptr[x.indices + 1] - starts
        total = int(counts.sum())
        if total == 0:
            return np.zeros(self.n_classes, dtype=np.float64)
        # the positions of the picked rows' weights, row after row
        firsts = np.repeat(starts - (np.cumsum(counts) - counts), counts)
        at = firsts + np.arange(total)
        products = np.repeat(x.data, counts) * self.data[at].astype(np.float64)
        return np.bincount(self.indices[at], weights=products, minlength=self.n_classes)


@dataclass(frozen=True)
class Head:
    """A fitted logistic-regression head, pruned to a sparse weight matrix."""

    classes: tuple[str, ...]
    coef: sparse.csr_matrix | None  # classes × features (one row for two classes); None as served
    intercept: np.ndarray

    @classmethod
    def fit(cls, x: sparse.csr_matrix, labels: list[str], c: float) -> Head:
        from scipy import sparse
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced").fit(x, labels)
        weights = np.where(np.abs(model.coef_) >= PRUNE_BELOW, model.coef_, 0.0).astype(np.float32)
        return cls(
            tuple(str(k) for k in model.classes_),
            sparse.csr_matrix(weights),
            model.intercept_.astype(np.float32),
        )

    @cached_property
    def weights_by_feature(self) -> FeatureWeights:
        """The weights features × classes, row-major: a message's few n-grams pick a few rows
        (transposing on every call cost 10 ms a message)."""
        if self.coef is None:
            raise ValueError("a served head carries its weights by feature only")
        return FeatureWeights.from_matrix(self.coef.T)

    def probabilities(self, x: FeatureRow) -> dict[str, float]:
        scores = self.weights_by_feature.scores(x) + self.intercept
        if len(self.classes) == 2:  # one column of log-odds
            p1 = float(1.0 / (1.0 + np.exp(-scores[0])))
            return {self.classes[0]: 1 - p1, self.classes[1]: p1}
        scores = np.exp(scores - scores.max())
        scores /= scores.sum()
        return {label: float(p) for label, p in zip(self.classes, scores)}


def _probabilities(head: Head | None, x: FeatureRow) -> dict[str, float]:
    return head.probabilities(x) if head is not None else {}


_WHITE_SPACES = re.compile(r"\s\s+")  # scikit-learn's, for the character n-grams


@dataclass(frozen=True)
class TfidfPart:
    """One fitted ``TfidfVectorizer`` of the union (word or ``char_wb`` n-grams, sublinear tf,
    idf, l2 norm), transforming one text the way scikit-learn does, to the last bit, without it:
    the same n-grams in the same order, counts in first-seen order sorted by column, ``log`` + 1,
    idf, and the row's squared sum added up in column order as in scikit-learn's normalizer.

    The vocabulary is two arrays, the terms sorted (fixed-width numpy strings) and each one's
    column, looked up by binary search: read in milliseconds, where a dict of 100,000 n-grams
    takes a tenth of a second to unpickle. A numpy string drops trailing NULs, so a vocabulary
    with a term ending in one is refused (scikit-learn's analyzers never produce one)."""

    analyzer: str  # "word" or "char_wb"
    preprocessor: Callable[[str], str]
    ngram_range: tuple[int, int]
    token_pattern: str
    sublinear_tf: bool
    terms: np.ndarray  # str, sorted
    columns: np.ndarray  # int32, the column of each of ``terms``
    idf: np.ndarray  # float64, one per column

    @staticmethod
    def sorted_vocabulary(vocabulary: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
        if any(term.endswith("\0") for term in vocabulary):
            raise ValueError("no fast transform for a vocabulary with a term ending in NUL")
        terms = np.array(list(vocabulary), dtype=str)
        columns = np.fromiter(vocabulary.values(), dtype=np.int32, count=len(vocabulary))
        order = np.argsort(terms, kind="stable")
        return terms[order], columns[order]

    @property
    def vocabulary(self) -> dict[str, int]:
        """The vocabulary as scikit-learn's dict (for tools and tests; answering never builds it)."""
        return dict(zip(self.terms.tolist(), self.columns.tolist()))

    @classmethod
    def from_sklearn(cls, vectorizer: TfidfVectorizer) -> TfidfPart:
        supported = (
            vectorizer.analyzer in ("word", "char_wb")
            and callable(vectorizer.preprocessor)
            and vectorizer.tokenizer is None
            and vectorizer.stop_words is None
            and vectorizer.norm == "l2"
            and vectorizer.use_idf
            and not vectorizer.binary
            and vectorizer.input == "content"
            and vectorizer.dtype in (np.float64, "float64")
        )
        if not supported:
            raise ValueError(f"no fast transform for this vectorizer: {vectorizer!r}")
        terms, columns = cls.sorted_vocabulary(dict(vectorizer.vocabulary_))
        return cls(
            analyzer=vectorizer.analyzer,
            preprocessor=vectorizer.preprocessor,
            ngram_range=tuple(vectorizer.ngram_range),
            token_pattern=vectorizer.token_pattern,
            sublinear_tf=bool(vectorizer.sublinear_tf),
            terms=terms,
            columns=columns,
            idf=np.asarray(vectorizer.idf_, dtype=np.float64),
        )

    @property
    def width(self) -> int:
        return len(self.idf)

    @cached_property
    def _tokenize(self) -> Callable[[str], list[str]]:
        return re.compile(self.token_pattern).findall

    def ngrams(self, text: str) -> list[str]:
        doc = self.preprocessor(text)
        min_n, max_n = self.ngram_range
        grams: list[str] = []
        if self.analyzer == "word":
            words = self._tokenize(doc)
            if min_n == 1:
                grams, min_n = list(words), 2
            for n in range(min_n, min(max_n + 1, len(words) + 1)):
                grams.extend(" ".join(words[i : i + n]) for i in range(len(words) - n + 1))
            return grams
        for word in _WHITE_SPACES.sub(" ", doc).split():
            word = f" {word} "
            for n in range(min_n, max_n + 1):
                offset = 0
                grams.append(word[offset : offset + n])
                while offset + n < len(word):
                    offset += 1
                    grams.append(word[offset : offset + n])
                if offset == 0:  # a word shorter than n is counted once
                    break
        return grams

    def lookup(self, grams: list[str]) -> np.ndarray:
        """The column of each of ``grams`` in the vocabulary (those not in it left out)."""
        width = self.terms.dtype.itemsize // 4  # numpy's str is UCS-4
        # Longer than every term, or ending in NUL (which a numpy string would drop): not in it.
        grams = [g for g in grams if len(g) <= width and not g.endswith("\0")]
        if not grams or not len(self.terms):
            return np.zeros(0, dtype=np.int32)
        wanted = np.array(grams, dtype=self.terms.dtype)
        at = np.searchsorted(self.terms, wanted)
        at[at == len(self.terms)] = 0
        found: np.ndarray = self.columns[at[self.terms[at] == wanted]]
        return found

    def row(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The text's columns (ascending) and tf-idf values (l2-normalized)."""
        found, counts = np.unique(self.lookup(self.ngrams(text)), return_counts=True)
        columns = found.astype(np.int32, copy=False)
        values = counts.astype(np.float64)
        if self.sublinear_tf:
            np.log(values, values)
            values += 1.0
        values *= self.idf[columns]
        if len(values):
            squares = values * values
            total = float(np.cumsum(squares)[-1])  # added up in order, as scikit-learn does
            if total != 0.0:
                values /= math.sqrt(total)
        return columns, values


@dataclass(frozen=True)
class Vectorizer:
    """The union of :class:`TfidfPart` s side by side: one text in, one 1 × width CSR row out."""

    parts: tuple[TfidfPart, ...]

    @classmethod
    def from_union(cls, union: FeatureUnion) -> Vectorizer:
        if union.transformer_weights:
            raise ValueError("no fast transform for a weighted union")
        return cls(tuple(TfidfPart.from_sklearn(v) for _, v in union.transformer_list))

    @property
    def width(self) -> int:
        return sum(part.width for part in self.parts)

    def transform_one(self, text: str) -> FeatureRow:
        columns, values, offset = [], [], 0
        for part in self.parts:
            cols, vals = part.row(text)
            columns.append(cols + offset if offset else cols)
            values.append(vals)
            offset += part.width
        data, indices = np.concatenate(values), np.concatenate(columns).astype(np.int32, copy=False)
        return FeatureRow(indices, data, offset)


class IntentClassifier:
    """Intent, sector and topic prediction; ``analyze`` never raises on any text."""

    def __init__(self, c: float = 8.0) -> None:
        if c <= 0:
            raise ValueError(f"C must be positive, got {c!r}")
        self.c = c
        self.features: FeatureUnion | None = None  # scikit-learn's union, while fitting
        self.vectorizer: Vectorizer | None = None  # what serving transforms with
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
        import sklearn

        # One vocabulary over everything the heads read, so one transform serves all three.
        features = self.features = _features()
        features.fit(data.texts + sector_texts + topic_texts)
        self.vectorizer = Vectorizer.from_union(features)
        self.intent_head = Head.fit(features.transform(data.texts), data.labels, self.c)
        if len(set(sector_labels)) >= 2:
            self.sector_head = Head.fit(features.transform(sector_texts), sector_labels, self.c)
        if len(set(topic_labels)) >= 2:
            self.topic_head = Head.fit(features.transform(topic_texts), topic_labels, self.c)
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
        x = self._vectorize(text)
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
        return _probabilities(self.intent_head, self._vectorize(clean(text)))

    def _vectorize(self, text: str) -> FeatureRow:
        """The text's features: scikit-learn's transform, without scikit-learn or its checks."""
        if self.vectorizer is None:
            raise IntentModelError("the intent model is not fitted: run `helpdesk intents train`")
        return self.vectorizer.transform_one(text)

    def sector_probabilities(self, text: str) -> dict[str, float]:
        return self.analyze(text)[1]

    def save(self, directory: Path) -> None:
        import joblib

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
        self._save_serving(directory)

    def _save_serving(self, directory: Path) -> None:
        """The serving file: vocabularies, idf and heads (their transposes made), and the meta it
        belongs to; written aside and renamed, so a reader never sees half of one."""
        state = {
            "format": SERVING_FORMAT,
            "meta": json.loads(json.dumps(self.meta)),  # as intents.json reads back
            "vectorizer": self.vectorizer,
            "heads": {name: _head_state(head) for name, head in self._heads()},
        }
        tmp = directory / f".{SERVING_FILE}.{os.getpid()}.{threading.get_ident()}.tmp"
        try:
            with tmp.open("wb") as out:
                pickle.dump(state, out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, directory / SERVING_FILE)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def _heads(self) -> list[tuple[str, Head | None]]:
        return [("intent", self.intent_head), ("sector", self.sector_head), ("topic", self.topic_head)]

    @classmethod
    def load(cls, directory: Path) -> IntentClassifier:
        """The saved model, from its serving file when that belongs to the saved meta (no
        scikit-learn is imported); otherwise from the joblib, writing the serving file for the
        next start where the folder is writable."""
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
        version = meta.get("version") if isinstance(meta, dict) else None
        if version != CLASSIFIER_VERSION:
            raise IntentModelError(
                f"the intent model was saved by version {version}; this is version "
                f"{CLASSIFIER_VERSION}: run `helpdesk intents train`"
            )
        classifier = cls(c=meta.get("c", 8.0))
        classifier.meta = meta
        serving = _read_serving(directory / SERVING_FILE, meta)
        if serving is not None:
            classifier.vectorizer = serving["vectorizer"]
            classifier.intent_head, classifier.sector_head, classifier.topic_head = (
                _head_from_state(serving["heads"][name]) for name in ("intent", "sector", "topic")
            )
            return classifier
        import joblib
        import sklearn

        if meta.get("sklearn") != sklearn.__version__:
            raise IntentModelError(
                f"the intent model was saved by version {meta.get('version')} (scikit-learn "
                f"{meta.get('sklearn')}); this is version {CLASSIFIER_VERSION} (scikit-learn "
                f"{sklearn.__version__}): run `helpdesk intents train`"
            )
        try:
            models = joblib.load(directory / "intents.joblib")
            classifier.features = models["features"]
            classifier.intent_head, classifier.sector_head, classifier.topic_head = (
                _unpickled_head(models[name]) for name in ("intent", "sector", "topic")
            )
            classifier.vectorizer = Vectorizer.from_union(models["features"])
        except Exception as exc:  # joblib raises many kinds on a damaged pickle
            raise IntentModelError(
                f"the intent model in {directory} is damaged ({exc}): run `helpdesk intents train`"
            ) from exc
        try:
            classifier._save_serving(directory)
        except OSError:  # a read-only folder: served from the joblib, a little slower to start
            pass
        return classifier


def _unpickled_head(head: Head | None) -> Head | None:
    """A head from the joblib, without a transpose an older version cached as a scipy matrix."""
    if head is not None:
        head.__dict__.pop("by_feature", None)
    return head


def _head_state(head: Head | None) -> dict[str, Any] | None:
    """A head as the serving file keeps it: only the features × classes weights that answering
    reads (the classes × features copy would double the file), as numpy arrays."""
    if head is None:
        return None
    weights = head.weights_by_feature
    return {
        "classes": head.classes,
        "indptr": weights.indptr,
        "indices": weights.indices,
        "data": weights.data,
        "n_classes": weights.n_classes,
        "intercept": head.intercept,
    }


def _head_from_state(state: dict[str, Any] | None) -> Head | None:
    if state is None:
        return None
    weights = FeatureWeights(state["indptr"], state["indices"], state["data"], int(state["n_classes"]))
    head = Head(tuple(state["classes"]), None, np.asarray(state["intercept"]))
    head.__dict__["weights_by_feature"] = weights  # the cached transpose, as read
    return head


def _read_serving(path: Path, meta: dict[str, Any]) -> dict[str, Any] | None:
    """The serving file's contents if it is whole, of this format and belongs to ``meta``; else
    None. (A file of format 1 has its heads at the top, which this refuses; the code before format
    2 refuses one of format 2 the same way, for want of them.)"""
    try:
        with path.open("rb") as f:
            state = pickle.load(f)
    except Exception:  # missing, damaged or from older code: the joblib is read instead
        return None
    if not isinstance(state, dict) or state.get("format") != SERVING_FORMAT or state.get("meta") != meta:
        return None
    if not isinstance(state.get("vectorizer"), Vectorizer) or not isinstance(state.get("heads"), dict):
        return None
    return state


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
    # Served questions in Azerbaijani typed in Russian letters are read as their Latin words
    # (HybridSearcher.reading_text); examples typed so are learnt in that reading too.
    restorer = AzRestorer.from_texts(
        part
        for a in kb.articles
        for part in [a.title["az"], a.sections["az"].body, *a.questions["az"], *a.keywords["az"]]
    )
    for article in kb.articles:
        for lang in LANGS:
            for question in article.questions.get(lang, []):
                questions[lang].append((question, article.sector))
                reading = restorer.read_russian_letters(question) if lang == "az" else None
                if reading is not None:
                    questions[lang].append((reading, article.sector))
            for text in [
                article.title[lang],
                *article.questions.get(lang, []),
                ", ".join(article.keywords.get(lang, [])),
            ]:
                reading = restorer.read_russian_letters(text) if lang == "az" else None
                variants = (
                    [text]
                    + ([strip_letters(text)] if lang == "az" and strip_letters(text) != text else [])
                    + ([reading] if reading is not None else [])
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
