"""Remove personal identifiers from text before it is stored or logged.

Each kind is replaced by a tag such as ``[FIN]``, so the text stays readable for editors:
"FIN kodum 5ZXK4PT, telefon 050 123 45 67" → "FIN kodum [FIN], telefon [PHONE]".
Checksums (Luhn for cards, MOD-97 for IBAN) keep ordinary numbers from being taken for them.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_IBAN = re.compile(r"\bAZ\d{2}(?:\s?[A-Z0-9]){24}\b", re.IGNORECASE)
_CARD_RUN = re.compile(r"(?<![\d])\d(?:[ -]?\d){12,}(?![\d])")
_PHONE = re.compile(
    r"(?<![\d+])(?:\+?994|0)[\s(-]*(?:10|12|50|51|55|60|70|77|99)[\s)-]*"
    r"\d{3}[\s-]?\d{2}[\s-]?\d{2}(?!\d)"
)
# Identity card: AZE + 8 digits (new), AA + 7 digits (old); passport: C/P + 8 digits.
_ID_CARD = re.compile(r"\b(?:AZE\s?\d{8}|AA\s?\d{7})\b", re.IGNORECASE)
_PASSPORT = re.compile(r"\b[CP]\s?\d{8}\b", re.IGNORECASE)
# VÖEN (taxpayer number): 10 digits, which alone are as likely a Unix timestamp, an amount or a
# Telegram id, so only with its name just before it ("VÖEN-im 1234567891", "ИНН: …", "TIN …").
_VOEN = re.compile(r"(?<!\d)\d{10}(?!\d)")
_VOEN_CONTEXT = re.compile(
    r"(?<!\[)(v[öo]en|воен|инн|\btin|taxpayer|vergi ödəyicisi\w*)(?!\])(?:-?\w{0,6})"
    r"(?:\W+(?:kod\w*|код\w*|code|number|no|id|is|(?:eyniləşdirmə\s+)?nömrə\w*|номер\w*))?\W{0,12}$",
    re.IGNORECASE,
)
# FIN: 7 letters and digits, mixed. Alone it must look like a code (capitals, two digits or more,
# not a word with a number glued on, like "COVID19"); after a context word ("FİN", "ФИН",
# "personal code") any mix counts, in either case.
_FIN = re.compile(r"\b(?=[A-Za-z0-9]*\d)(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{7}\b")
# Our own "[FIN]" tag is not a context word: redacting twice must change nothing more.
_FIN_CONTEXT = re.compile(
    r"(?<!\[)(f[iİı]n|фин|pin|şəxsi kod|personal code|личный код)(?!\])"
    r"(?:\W+(?:kod\w*|код\w*|code|number|nömrə\w*|номер\w*))?\W{0,12}$",
    re.IGNORECASE,
)


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


def _sub(
    pattern: re.Pattern[str], tag: str, check: Callable[[str], bool] | None = None
) -> Callable[[str], str]:
    def replace(text: str) -> str:
        def swap(match: re.Match[str]) -> str:
            if check is None or check(match.group(0)):
                return tag
            return match.group(0)

        return pattern.sub(swap, text)

    return replace


def _cards_in(chunk: str) -> str:
    """Left to right, the longest Luhn-valid run of 13–19 digits (whole groups) starting at each
    group becomes [CARD]; the digits around it are searched too."""
    groups = list(re.finditer(r"\d+", chunk))
    out, last, i = [], 0, 0
    while i < len(groups):
        digits, end = "", None
        for j in range(i, len(groups)):
            digits += groups[j].group(0)
            if len(digits) > 19:
                break
            if len(digits) >= 13 and luhn_ok(digits):
                end = j
        if end is None:
            i += 1
            continue
        out += [chunk[last : groups[i].start()], "[CARD]"]
        last, i = groups[end].end(), end + 1
    return "".join(out) + chunk[last:]


def _redact_cards(text: str) -> str:
    """Card numbers, also when other digits stand right beside them."""
    return _CARD_RUN.sub(lambda match: _cards_in(match.group(0)), text)


def _looks_like_fin(code: str, before: str) -> bool:
    if _FIN_CONTEXT.search(before):
        return True  # "fin kodum 5zxk4pt": after a context word, any case
    return code.isupper() and sum(ch.isdigit() for ch in code) >= 2 and not re.match(r"[A-Z]{4,}", code)


def _redact_voen(text: str) -> str:
    return _VOEN.sub(
        lambda m: "[VOEN]" if _VOEN_CONTEXT.search(text[max(0, m.start() - 40) : m.start()]) else m.group(0),
        text,
    )


def _redact_fin(text: str) -> str:
    return _FIN.sub(
        lambda m: (
            "[FIN]" if _looks_like_fin(m.group(0), text[max(0, m.start() - 30) : m.start()]) else m.group(0)
        ),
        text,
    )


_STEPS = (
    _sub(_EMAIL, "[EMAIL]"),
    _sub(_IBAN, "[IBAN]", iban_ok),
    _redact_cards,
    _sub(_PHONE, "[PHONE]"),
    _sub(_ID_CARD, "[ID_CARD]"),
    _sub(_PASSPORT, "[PASSPORT]"),
    _redact_voen,
    _redact_fin,
)


def redact(text: str) -> str:
    """The text with every identifier it recognises replaced by its tag.

    Repeated until nothing changes: taking one identifier out can leave another standing alone
    (the digits beside a card number), and text is redacted again on its way to logs and reports,
    which must then find nothing more (atheris found both).
    """
    if not text:
        return text
    while True:  # ends: every change removes digits (tags have none) or an '@'
        before = text
        for step in _STEPS:
            text = step(text)
        if text == before:
            return text
