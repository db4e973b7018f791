"""The part classifier of intents/followups.py, trained on the bundled examples."""

import pytest
import yaml

from intents.followups import LABELS, PartClassifier, PartDataError, bundled_part_model, read_examples


def test_the_bundled_examples_cover_every_label_in_every_language():
    examples = read_examples()
    assert set(examples.labels) == set(LABELS)
    assert len(examples.texts) >= 7 * 3 * 60


@pytest.mark.parametrize(
    "text, label",
    [
        ("сколько рассматривают заявление?", "duration"),  # no cue word: the model reads it
        ("is there a deadline for that?", "duration"),
        ("thanks, that's all", "none"),
        ("how do I register a car?", "none"),  # a new question, not a part
        ("a eto platnaya usluga?", "fee"),  # Russian typed in Latin letters
        ("kakie bumagi nujny?", "documents"),
        ("копию нужно делать?", "documents"),
        ("в каком отделе?", "where"),
        ("is there an office near me?", "where"),
        ("it takes ages?", "duration"),
        ("sənəd almaq istəyirəm", "none"),  # the thing wanted, not what to bring
    ],
)
def test_it_reads_what_the_cue_words_miss(text, label):
    assert bundled_part_model().predict(text)[0] == label


def test_a_broken_examples_file_is_refused_with_its_path(tmp_path):
    (tmp_path / "fee.yaml").write_text(yaml.safe_dump({"label": "fee", "examples": {"en": ["how much?"]}}))
    (tmp_path / "link.yaml").write_text("label: where\nexamples: {en: [site?]}\n", encoding="utf-8")
    with pytest.raises(PartDataError, match="link.yaml"):
        read_examples(tmp_path)
    (tmp_path / "link.yaml").write_text(": [", encoding="utf-8")
    with pytest.raises(PartDataError, match="link.yaml"):
        read_examples(tmp_path)
    with pytest.raises(PartDataError, match="no follow-up example files"):
        read_examples(tmp_path / "missing")


def test_training_needs_two_labels_and_prediction_needs_training(tmp_path):
    (tmp_path / "fee.yaml").write_text(yaml.safe_dump({"label": "fee", "examples": {"en": ["cost?"]}}))
    with pytest.raises(PartDataError):
        PartClassifier().fit(read_examples(tmp_path))
    with pytest.raises(RuntimeError):
        PartClassifier().predict("how much?")
    with pytest.raises(ValueError):
        PartClassifier(c=0)
