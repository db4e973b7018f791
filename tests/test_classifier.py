import json

import numpy as np
import pytest
import yaml
from conftest import modules_loaded_by

from intents.classifier import (
    CLASSIFIER_VERSION,
    SERVING_FILE,
    IntentClassifier,
    IntentModelError,
    TfidfPart,
    kb_topic_material,
    kb_training_material,
    load_training_data,
    strip_letters,
    train_classifier,
)

TINY = {
    "greeting": {
        "az": ["Salam", "Sabahınız xeyir", "salam aleykum", "Axşamınız xeyir"],
        "ru": ["Здравствуйте", "Привет", "Добрый день"],
        "en": ["Hello", "Hi there", "Good morning"],
    },
    "thanks": {
        "az": ["Təşəkkür edirəm", "Çox sağ olun", "Minnətdaram"],
        "ru": ["Спасибо", "Благодарю"],
        "en": ["Thank you", "Thanks a lot"],
    },
    "question": {
        "az": [
            "Pasportu necə ala bilərəm?",
            "Vergi borcumu haradan yoxlayım?",
            "Şəxsiyyət vəsiqəsi üçün hansı sənədlər lazımdır?",
        ],
        "ru": ["Как оплатить налог?", "Где получить паспорт?"],
        "en": ["How do I pay my tax?", "Where do I get a passport?"],
    },
    "out_of_scope": {
        "az": ["Sabah hava necə olacaq?", "Futbolda kim qalib gəldi?"],
        "ru": ["Какая завтра погода?", "Расскажи анекдот"],
        "en": ["What's the weather tomorrow?", "Tell me a joke"],
    },
}


@pytest.fixture
def tiny_data(tmp_path):
    folder = tmp_path / "intents-data"
    folder.mkdir()
    for intent, examples in TINY.items():
        (folder / f"{intent}.yaml").write_text(
            yaml.safe_dump({"intent": intent, "examples": examples}, allow_unicode=True), encoding="utf-8"
        )
    return folder


def test_training_data_is_widened_with_letterless_copies(tiny_data):
    data = load_training_data(tiny_data)
    assert "Tesekkur edirem" in data.texts and "Təşəkkür edirəm" in data.texts
    assert data.labels[data.texts.index("Tesekkur edirem")] == "thanks"
    assert strip_letters("Şəxsiyyət") == "Sexsiyyet"
    assert "Hello" in data.texts and data.texts.count("Hello") == 1  # English is not copied


def test_trains_and_predicts_on_a_tiny_fixture(tiny_data):
    model = IntentClassifier().fit(load_training_data(tiny_data))
    assert model.predict("salam").intent == "greeting"
    assert model.predict("cox sag olun").intent == "thanks"
    assert model.predict("how can I pay tax online").intent == "question"
    prediction = model.predict("hava necə olacaq sabah?")
    assert prediction.intent == "out_of_scope" and 0 < prediction.confidence <= 1
    assert model.predict("").intent == "out_of_scope"
    assert abs(sum(model.probabilities("salam").values()) - 1) < 1e-6


def test_saved_model_round_trips(tiny_data, tmp_path):
    model = IntentClassifier(c=2.0).fit(load_training_data(tiny_data))
    model.save(tmp_path / "model")
    loaded = IntentClassifier.load(tmp_path / "model")
    for text in ("Salam", "Спасибо", "Where do I get a passport?", "tell me a joke"):
        assert loaded.predict(text) == model.predict(text)
    assert loaded.meta["version"] == CLASSIFIER_VERSION and loaded.c == 2.0


def test_version_mismatch_is_a_clear_error(tiny_data, tmp_path):
    IntentClassifier().fit(load_training_data(tiny_data)).save(tmp_path / "model")
    meta_path = tmp_path / "model" / "intents.json"
    meta = json.loads(meta_path.read_text())
    meta["version"] = CLASSIFIER_VERSION - 1
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(IntentModelError, match="saved by version .*run `helpdesk intents train`"):
        IntentClassifier.load(tmp_path / "model")


def test_missing_and_damaged_models(tiny_data, tmp_path):
    with pytest.raises(IntentModelError, match="no intent model"):
        IntentClassifier.load(tmp_path / "nothing")
    IntentClassifier().fit(load_training_data(tiny_data)).save(tmp_path / "model")
    (tmp_path / "model" / "intents.joblib").write_bytes(b"not a pickle")
    (tmp_path / "model" / SERVING_FILE).write_bytes(b"not a pickle either")
    with pytest.raises(IntentModelError, match="damaged"):
        IntentClassifier.load(tmp_path / "model")


TEXTS = [
    "Salam",
    "Спасибо большое!!",
    "Where do I get a passport?",
    "Şəxsiyyət   vəsiqəsi\tüçün sənədlər",
    "sexsiyyet vesiqesi ucun",
    "a",
    "",
    "🙂 ok",
    "tell me a joke " * 30,
    "salam\x00 vergi\x00",  # a NUL, which a numpy string would drop
    "pasport" + "x" * 300,  # a word longer than every n-gram of the vocabulary
]


def test_the_fast_transform_is_scikit_learns_to_the_bit(tiny_data):
    model = IntentClassifier().fit(load_training_data(tiny_data))
    for text in TEXTS:
        ours, theirs = model._vectorize(text), model.features.transform([text])
        assert ours.shape == theirs.shape
        assert ours.indices.tolist() == theirs.indices.tolist()
        assert ours.data.tobytes() == theirs.data.tobytes()


def test_serving_file_is_used_and_needs_no_scikit_learn(tiny_data, tmp_path):
    model = IntentClassifier().fit(load_training_data(tiny_data))
    model.save(tmp_path / "model")
    (tmp_path / "model" / "intents.joblib").write_bytes(b"not read when the serving file fits")
    loaded = IntentClassifier.load(tmp_path / "model")
    for text in TEXTS:
        assert loaded.analyze_all(text) == model.analyze_all(text)
    code = (
        "from pathlib import Path; from intents.classifier import IntentClassifier; "
        f"IntentClassifier.load(Path({str(tmp_path / 'model')!r})).analyze_all('salam')"
    )
    assert modules_loaded_by(code, ("sklearn", "joblib", "scipy")) == []


def test_a_stale_or_damaged_serving_file_is_rebuilt_from_the_joblib(tiny_data, tmp_path):
    folder = tmp_path / "model"
    old = IntentClassifier(c=2.0).fit(load_training_data(tiny_data))
    old.save(folder)
    stale = (folder / SERVING_FILE).read_bytes()
    new = IntentClassifier(c=4.0).fit(load_training_data(tiny_data))
    new.save(folder)
    for broken in (stale, b"damaged"):  # another model's serving file, then a broken one
        (folder / SERVING_FILE).write_bytes(broken)
        loaded = IntentClassifier.load(folder)
        assert loaded.c == 4.0 and loaded.features is not None  # read from the joblib
        assert [loaded.analyze_all(t) for t in TEXTS] == [new.analyze_all(t) for t in TEXTS]
        again = IntentClassifier.load(folder)  # ... which wrote the serving file anew
        assert again.features is None and again.analyze_all("Salam") == new.analyze_all("Salam")


def test_the_heads_score_as_scipy_does_to_the_bit(tiny_kb, tiny_data):
    import numpy as np
    from scipy import sparse

    model = train_classifier(tiny_kb, tiny_data)
    heads = [model.intent_head, model.sector_head, model.topic_head]
    assert all(head is not None for head in heads)
    for text in TEXTS + ["vergi borcumu haradan oyrenim", "как получить загранпаспорт"]:
        x = model._vectorize(text)
        row = sparse.csr_matrix((x.data, x.indices, np.array([0, len(x.data)])), shape=x.shape)
        for head in heads:
            theirs = (row @ head.coef.T.tocsr()).toarray().ravel()
            assert head.weights_by_feature.scores(x).tobytes() == theirs.tobytes(), text


def test_a_serving_file_of_the_older_layout_is_rebuilt(tiny_data, tmp_path):
    """Format 1 held scipy matrices (so reading it imported scipy) and the heads at the top."""
    import pickle

    folder = tmp_path / "model"
    model = IntentClassifier().fit(load_training_data(tiny_data))
    model.save(folder)
    older = {"meta": model.meta, "vectorizer": model.vectorizer, "intent": {}, "sector": None, "topic": None}
    (folder / SERVING_FILE).write_bytes(pickle.dumps(older))
    assert IntentClassifier.load(folder).features is not None  # read from the joblib ...
    again = IntentClassifier.load(folder)  # ... which wrote the serving file anew, as format 2
    assert again.features is None and again.analyze_all("Salam") == model.analyze_all("Salam")


def test_the_vocabulary_lookup_is_the_dicts():
    vocabulary = {"salam": 3, "vergi": 0, "вергi": 1, "a b": 2, "ə": 4}
    terms, columns = TfidfPart.sorted_vocabulary(vocabulary)
    part = TfidfPart("word", str, (1, 2), r"(?u)\b\w+\b", True, terms, columns, np.ones(5))
    grams = ["vergi", "salam", "nope", "vergi", "a b", "ə", "", "salam\x00", "x" * 50, "вергi"]
    assert part.lookup(grams).tolist() == [vocabulary[g] for g in grams if g in vocabulary]
    assert part.vocabulary == vocabulary
    with pytest.raises(ValueError, match="NUL"):
        TfidfPart.sorted_vocabulary({"a\x00": 0})


def test_bad_training_files(tmp_path):
    with pytest.raises(IntentModelError, match="no training data"):
        load_training_data(tmp_path)
    (tmp_path / "x.yaml").write_text("intent: gossip\nexamples: {en: [hi]}\n")
    with pytest.raises(IntentModelError, match="unknown intent 'gossip'"):
        load_training_data(tmp_path)
    (tmp_path / "x.yaml").write_text("intent: [greeting\n")
    with pytest.raises(IntentModelError, match="broken YAML"):
        load_training_data(tmp_path)


def test_sector_label_from_the_knowledge_base(tiny_kb, tiny_data):
    model = train_classifier(tiny_kb, tiny_data)
    assert model.predict("vergi borcumu haradan oyrenim").sector == "taxes"
    assert model.predict("как получить загранпаспорт").sector == "identity"
    questions, texts, labels = kb_training_material(tiny_kb)
    assert len(texts) == len(labels) and set(labels) == {"taxes", "identity"}
    assert any(text == "Как проверить налоговый долг?" for text, _ in questions["ru"])


@pytest.fixture(scope="module")
def bundled_model(tmp_path_factory):
    from conftest import write_tiny_kb

    from knowledge.loader import load_knowledge_base

    kb = load_knowledge_base(*write_tiny_kb(tmp_path_factory.mktemp("kb")))
    return train_classifier(kb)


@pytest.mark.parametrize(
    "text, intent",
    [
        ("salam", "greeting"),
        ("Salam!", "greeting"),
        ("ok sag ol", "thanks"),
        ("Здравствуйте", "greeting"),
        ("Спасибо, помогли", "thanks"),
        ("bye!", "goodbye"),
        ("what topics do you know?", "help"),
        ("operatorla danisim", "operator_request"),
        ("pasportumun muddeti bitib, yenisini nece alim?", "question"),
        ("Как оплатить штраф за парковку?", "question"),
    ],
)
def test_bundled_model_on_tricky_messages(bundled_model, text, intent):
    assert bundled_model.predict(text).intent == intent


def test_examples_in_russian_letters_are_also_learnt_in_their_latin_reading(tmp_path):
    from conftest import TINY_ARTICLES, article_text, write_tiny_kb

    from knowledge.loader import load_knowledge_base

    articles, coverage = write_tiny_kb(tmp_path / "kb")
    sector, langs = TINY_ARTICLES["tax-debt-check"]
    typed = "Верги борджуну недже йохламаг олар?"  # Azerbaijani typed on a Russian keyboard
    questions = "questions: {az: [" + f'"{langs["az"][0]}", "{typed}"' + "], ru: [x], en: [y]}"
    (articles / sector / "tax-debt-check.md").write_text(
        article_text("tax-debt-check", sector, langs, questions=questions), encoding="utf-8"
    )
    texts, labels = kb_topic_material(load_knowledge_base(articles, coverage))
    readings = [t for t, label in zip(texts, labels) if label == "tax-debt-check" and t.startswith("vergi")]
    assert any(t.startswith("vergi borcunu necə") for t in readings), readings
    assert typed in texts  # the example as typed stays too
