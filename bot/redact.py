"""Remove personal identifiers from text before it is stored or logged.

Each kind is replaced by a tag such as ``[FIN]``, so the text stays readable for editors:
"FIN kodum 5ZXK4PT, telefon 050 123 45 67" → "FIN kodum [FIN], telefon [PHONE]".
Checksums (Luhn for cards, MOD-97 for IBAN) keep ordinary numbers from being taken for them.
"""

from __future__ import annotations

import re
from typing import Callable

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_IBAN = re.compile(r"\bAZ\d{2}(?:\s?[A-Z0-9]){24}\b", re.IGNORECASE)
_CARD = re.compile(r"(?<![\d])(?:\d[ -]?){12,18}\d(?![\d])")
_PHONE = re.compile(r"(?<![\d+])(?:\+?994|0)[\s(-]*(?:10|12|50|51|55|60|70|77|99)[\s)-]*"
                    r"\d{3}[\s-]?\d{2}[\s-]?\d{2}(?!\d)")
# Identity card: AZE + 8 digits (new), AA + 7 digits (old); passport: C/P + 8 digits.
_ID_CARD = re.compile(r"\b(?:AZE\s?\d{8}|AA\s?\d{7})\b", re.IGNORECASE)
_PASSPORT = re.compile(r"\b[CP]\s?\d{8}\b", re.IGNORECASE)
_VOEN = re.compile(r"(?<!\d)\d{10}(?!\d)")
# FIN: 7 letters/digits (no I, O, Q... in practice, but accept all), at least one digit and one letter.
_FIN = re.compile(r"\b(?=[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z])[A-Z0-9]{7}\b")


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_ok(iban: str) -> bool:
    iban = re.sub(r"\s", "", iban).upper()
    moved = iban[4:] + iban[:4]
    number = "".join(str(int(ch, 36)) for ch in moved)
    return int(number) % 97 == 1


def _sub(pattern: re.Pattern, tag: str, check: Callable[[str], bool] | None = None):
    def replace(text: str) -> str:
        def swap(match: re.Match) -> str:
            if check is None or check(match.group(0)):
                return tag
            return match.group(0)
        return pattern.sub(swap, text)
    return replace


_STEPS = (
    _sub(_EMAIL, "[EMAIL]"),
    _sub(_IBAN, "[IBAN]", iban_ok),
    _sub(_CARD, "[CARD]", lambda m: luhn_ok(re.sub(r"\D", "", m))),
    _sub(_PHONE, "[PHONE]"),
    _sub(_ID_CARD, "[ID_CARD]"),
    _sub(_PASSPORT, "[PASSPORT]"),
    _sub(_VOEN, "[VOEN]"),
    _sub(_FIN, "[FIN]"),
)


def redact(text: str) -> str:
    """The text with every identifier it recognises replaced by its tag."""
    if not text:
        return text
    for step in _STEPS:
        text = step(text)
    return text
