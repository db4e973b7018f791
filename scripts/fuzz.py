"""Coverage-guided fuzzing (atheris / libFuzzer) of the code every citizen's text passes through.

Each target is a plain ``check_<name>(data: bytes)`` that raises AssertionError when an invariant
breaks; tests/test_fuzz.py runs the same checks on a fixed corpus without atheris, and this
script lets atheris search for inputs that break them:

* ``normalize``: clean() leaves no control or format character, fold() is stable, tokens() and
  Azerbaijani Cyrillic transliteration never raise.
* ``redact``: an identifier planted anywhere in arbitrary text never survives, and redacting twice
  changes nothing more.
* ``reply``: the Helpdesk (bundled KB, hashing embedder, trained intents) answers anything, in a
  known language, and the rendered message splits into parts within Telegram's 4,096 characters.
* ``callback``: forged callback data either unpacks into our buttons' fields or is refused with
  ValueError/TypeError — nothing else.

Usage:  make fuzz   (installs atheris; 60 s per target)
        python scripts/fuzz.py redact -max_total_time=60 -seed=1
"""

from __future__ import annotations

import sys
import tempfile
import unicodedata
from functools import lru_cache
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PLANTED = (
    "5ZXK4PT",
    "+994 50 123 45 67",
    "050 123 45 67",
    "AZE12345678",
    "AA1234567",
    "a.b@mail.az",
    "4169 7388 1234 5670",
    "AZ21NABZ00000000137010001944",
    "1234567891",
)


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="surrogateescape").encode("utf-8", errors="replace").decode("utf-8")


def check_normalize(data: bytes) -> None:
    from retrieval.normalize import az_cyrillic_to_latin, clean, fold, tokens

    text = _text(data)
    cleaned = clean(text)
    assert not any(unicodedata.category(ch) in ("Cc", "Cf") for ch in cleaned), repr(cleaned)
    assert fold(fold(text)) == fold(text), repr(text)
    tokens(text)
    az_cyrillic_to_latin(text)


def check_redact(data: bytes) -> None:
    from bot.redact import redact

    secret = PLANTED[data[0] % len(PLANTED)] if data else PLANTED[0]
    text = _text(data[1:])
    cut = len(text) // 2
    # Planted between spaces, as a person would type it; glued to letters it is a different word.
    redacted = redact(f"{text[:cut]} {secret} {text[cut:]}")
    # (the fuzzer's own text may hold the same characters inside a longer word: "AAA1234567")
    assert secret not in redacted or secret in text, (secret, redacted)
    assert redact(redacted) == redacted, redacted


@lru_cache(maxsize=1)
def fuzz_helpdesk():
    """The bundled KB with the hashing embedder: the real pipeline at fuzzing speed."""
    from bot.config import Settings
    from bot.dialogue import Helpdesk
    from intents.classifier import train_classifier
    from knowledge.loader import load_knowledge_base
    from retrieval.embedders import HashingEmbedder
    from retrieval.index import build_index, save_index

    data_dir = Path(tempfile.mkdtemp(prefix="helpdesk-fuzz-"))
    settings = Settings(_env_file=None, data_dir=data_dir, embedder="fake", answer_cache_size=0)
    kb = load_knowledge_base(settings.articles_dir, settings.coverage_file)
    embedder = HashingEmbedder(256)
    save_index(build_index(kb, embedder), settings.index_dir)
    train_classifier(kb).save(settings.intents_dir)
    return Helpdesk.from_settings(settings, embedder=embedder)


def check_reply(data: bytes) -> None:
    from bot.telegram.render import reply_html, split_message

    reply = fuzz_helpdesk().reply(_text(data))
    assert reply.lang in ("az", "ru", "en") and reply.answer
    assert all(0 < len(part) <= 4096 for part in split_message(reply_html(reply)))


def check_callback(data: bytes) -> None:
    from aiogram.filters.callback_data import CallbackData

    from bot.telegram import keyboards

    text = _text(data)
    for factory in vars(keyboards).values():
        if isinstance(factory, type) and issubclass(factory, CallbackData) and factory is not CallbackData:
            try:
                unpacked = factory.unpack(text)
            except (ValueError, TypeError):
                continue
            assert len(unpacked.pack().encode()) <= 64


TARGETS = {
    "normalize": check_normalize,
    "redact": check_redact,
    "reply": check_reply,
    "callback": check_callback,
}


def main() -> None:
    import atheris

    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        sys.exit(f"usage: fuzz.py {{{'|'.join(TARGETS)}}} [libFuzzer options]")
    target = TARGETS[sys.argv[1]]
    # Coverage feedback from our own code only: instrumenting aiogram, numpy and the rest would
    # slow every run for nothing we can fix.
    with atheris.instrument_imports(include=["bot", "retrieval", "intents", "knowledge"]):
        import bot.dialogue  # noqa: F401
        import bot.redact  # noqa: F401
        import bot.telegram.keyboards  # noqa: F401
        import bot.telegram.render  # noqa: F401
        import retrieval.normalize  # noqa: F401
    if target is check_reply:
        fuzz_helpdesk()  # build once, before the clock starts
    atheris.Setup([sys.argv[0], *sys.argv[2:]], target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
