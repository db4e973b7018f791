"""The fuzzing targets' invariants on a fixed corpus (atheris itself runs under `make fuzz`),
including the inputs atheris found that broke them once."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

import fuzz  # noqa: E402

CORPUS = [
    b"",
    b"\x00",
    b"\xff\xfe",
    b"vergi borcu",
    "\u202eФИН 5ZXK4PT\u202c".encode(),
    "ə".encode() * 3000,
    "🙂".encode() * 50,
    b"h:1:1",
    b"h:-5:9",
    b"r:99999999999999999999:5",
    b"x" * 200,
    "Z\u0336\u0301a\u0300lgo".encode(),
]
# Found by atheris: our own "[FIN]" tag read as a context word on a second pass, the digits
# left beside a card number forming a second one, and "ghh" folding to "gh", then to "g".
FOUND = [
    b"\x00   ?5XX??? XXX5XXX-XXX",
    b"\x06?!??4169 7388 1234 5670 67 550-111366666111",
    b"\xc8hhghhhhhhhhhh:",
] + [
    # and the whole inputs it saved (a run of digits holding several card numbers, among them)
    path.read_bytes()
    for path in sorted((Path(__file__).parent / "data" / "fuzz_found").iterdir())
]


@pytest.mark.parametrize("data", CORPUS + FOUND)
def test_targets_hold_on_the_corpus(data):
    fuzz.check_normalize(data)
    fuzz.check_redact(data)
    fuzz.check_callback(data)


@pytest.mark.parametrize("data", FOUND)
def test_what_atheris_found_stays_fixed(data):
    fuzz.check_redact(data)
    fuzz.check_normalize(data)


def test_a_broken_invariant_is_reported(monkeypatch):
    import bot.redact

    monkeypatch.setattr(bot.redact, "redact", lambda text: text)  # a redactor that does nothing
    with pytest.raises(AssertionError):
        fuzz.check_redact(b"\x00 any text")


@pytest.mark.slow
def test_reply_target_on_the_corpus():
    for data in CORPUS[:6]:
        fuzz.check_reply(data)


def test_every_target_is_listed():
    assert set(fuzz.TARGETS) == {"normalize", "redact", "reply", "callback"}
