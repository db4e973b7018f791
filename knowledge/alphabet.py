"""The Azerbaijani Latin letters English lacks: the one table that every other one derives from.

Each row is a lowercase letter, its capital and the ASCII letter people type for it on a phone.
Two letters are special: the capital of dotless ``ı`` is the ASCII ``I``, and the dotted capital
``İ`` belongs to the ASCII ``i`` (so it has no lowercase row of its own).
"""

from __future__ import annotations

AZ_ALPHABET: tuple[tuple[str, str, str], ...] = (
    ("ə", "Ə", "e"),
    ("ğ", "Ğ", "g"),
    ("ı", "I", "i"),
    ("ş", "Ş", "s"),
    ("ç", "Ç", "c"),
    ("ö", "Ö", "o"),
    ("ü", "Ü", "u"),
)
DOTTED_CAPITAL_I = "İ"

# Each letter to its ASCII spelling: lowercase, capitals (an ASCII capital for each), and both.
AZ_FOLD_LOWER: dict[str, str] = {lower: ascii_ for lower, _, ascii_ in AZ_ALPHABET}
AZ_FOLD_UPPER: dict[str, str] = {upper: ascii_.upper() for _, upper, ascii_ in AZ_ALPHABET}
AZ_FOLD_UPPER[DOTTED_CAPITAL_I] = "I"
AZ_FOLD: dict[str, str] = AZ_FOLD_LOWER | AZ_FOLD_UPPER

AZ_LOWER = frozenset(AZ_FOLD_LOWER)  # əğışçöü
AZ_UPPER = frozenset(AZ_FOLD_UPPER)  # ƏĞIİŞÇÖÜ (the ASCII I among them)
