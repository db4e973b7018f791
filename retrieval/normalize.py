"""Text normalization shared by the index and the queries.

Two forms come out of one pass:

* ``clean`` – NFKC, control and direction-override characters removed, white space folded.
  This is what the dense embedder sees (it knows real Azerbaijani letters).
* ``folded`` – Azerbaijani-aware lowercase with the special letters folded to the ASCII-ish
  spelling people type on phones (ə→e, ı→i, ş→s, ç→c, ğ→g, ö→o, ü→u; digraphs sh/ch/gh too).
  This is what the lexical index sees, so that "shexsiyyet vesiqesi" meets "şəxsiyyət vəsiqəsi".
"""

from __future__ import annotations

import re
import unicodedata

# Letters only Azerbaijani Cyrillic uses; a text holding them is Azerbaijani, not Russian.
AZ_CYRILLIC_MARKERS = frozenset("әғһҹөүјӘҒҺҸӨҮЈ")

# Azerbaijani Cyrillic (1939–1991 alphabet) to the Latin alphabet, lowercase keys.
_AZ_CYRILLIC_TO_LATIN = {
    "а": "a", "б": "b", "в": "v", "г": "q", "ғ": "ğ", "д": "d", "е": "e", "ә": "ə", "ж": "j",
    "з": "z", "и": "i", "ы": "ı", "ј": "y", "к": "k", "ҝ": "g", "л": "l", "м": "m", "н": "n",
    "о": "o", "ө": "ö", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ү": "ü", "ф": "f",
    "х": "x", "һ": "h", "ч": "ç", "ҹ": "c", "ш": "ş", "й": "y", "я": "ya", "ю": "yu", "ё": "yo",
    "э": "e", "ц": "ts", "щ": "şç", "ъ": "", "ь": "",
}

_FOLD = str.maketrans({
    "ə": "e", "ı": "i", "ş": "s", "ç": "c", "ğ": "g", "ö": "o", "ü": "u", "ё": "е",
    # Turkish-keyboard and look-alike letters people paste
    "â": "a", "î": "i", "û": "u", "ä": "e",
})

# Cc and Cf cover C0/C1 controls, zero-width characters and the bidi overrides (U+202A–202E,
# U+2066–2069). Tab and newline are turned into spaces, not dropped, so words stay apart.
_DROP_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
_SPACE_LIKE = frozenset("\t\n\r\x0b\x0c\x85\u2028\u2029")
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_WS = re.compile(r"\s+")


def strip_controls(text: str) -> str:
    """Drop control, format (bidi, zero-width) and unassigned characters; keep line breaks as spaces."""
    out = []
    for ch in text:
        if ch in _SPACE_LIKE:
            out.append(" ")
        elif unicodedata.category(ch) not in _DROP_CATEGORIES:
            out.append(ch)
    return "".join(out)


def clean(text: str) -> str:
    """NFKC, controls out, white space folded; letters and case kept."""
    text = unicodedata.normalize("NFKC", text or "")
    text = strip_controls(text)
    return _WS.sub(" ", text).strip()


def az_lower(text: str) -> str:
    """Lowercase with Azerbaijani dotted/dotless i: İ→i, I→ı (str.lower maps I→i and İ→i̇)."""
    return text.replace("İ", "i").replace("I", "ı").lower()


def is_az_cyrillic(text: str) -> bool:
    return any(ch in AZ_CYRILLIC_MARKERS for ch in text)


def az_cyrillic_to_latin(text: str) -> str:
    """Transliterate Azerbaijani Cyrillic to Latin (lowercase output)."""
    text = text.lower()
    return "".join(_AZ_CYRILLIC_TO_LATIN.get(ch, ch) for ch in text)


def _strip_latin_marks(ch: str) -> str:
    # "i̇" (from a decomposed İ), "é", "ñ" → their base letter; Cyrillic й stays й.
    if ch.isascii() or not ch.isalpha() and not unicodedata.combining(ch):
        return ch
    if unicodedata.combining(ch):
        return ""
    base = unicodedata.normalize("NFD", ch)[0]
    return base if base.isascii() else ch


_DIGRAPH = re.compile(r"([scg])h+")


def _fold_digraphs(token: str) -> str:
    # sh/ch/gh typed for ş/ç/ğ: "shexsiyyet" → "sexsiyyet", "chixarish" → "cixaris". Every h is
    # taken ("shh" → "s"), so folding twice changes nothing more (atheris found "ghh").
    return _DIGRAPH.sub(r"\1", token)


def fold(text: str) -> str:
    """The lexical form: cleaned, Azerbaijani-lowercased, special letters folded."""
    text = clean(text)
    if is_az_cyrillic(text):
        text = az_cyrillic_to_latin(text)
    text = az_lower(text).translate(_FOLD)
    text = "".join(_strip_latin_marks(ch) for ch in text)
    return " ".join(_fold_digraphs(tok) if tok.isascii() else tok for tok in text.split())


def tokens(text: str) -> list[str]:
    """Folded word tokens (letters and digits) for BM25 and the intent features."""
    return _TOKEN.findall(fold(text))
