"""Text normalization shared by the index and the queries.

Two forms come out of one pass:

* ``clean`` – NFKC, control and direction-override characters removed, white space folded.
  This is what the dense embedder sees (it knows real Azerbaijani letters).
* ``folded`` – Azerbaijani-aware lowercase with the special letters folded to the ASCII-ish
  spelling people type on phones (ə→e, ı→i, ş→s, ç→c, ğ→g, ö→o, ü→u; digraphs sh/ch/gh too).
  This is what the lexical index sees, so that "shexsiyyet vesiqesi" meets "şəxsiyyət vəsiqəsi".
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable

from knowledge.alphabet import AZ_FOLD_LOWER

# Letters only Azerbaijani Cyrillic uses; a text holding them is Azerbaijani, not Russian.
AZ_CYRILLIC_MARKERS = frozenset("әғһҹөүјӘҒҺҸӨҮЈ")

# Azerbaijani Cyrillic (1939–1991 alphabet) to the Latin alphabet, lowercase keys.
_AZ_CYRILLIC_TO_LATIN = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "q",
    "ғ": "ğ",
    "д": "d",
    "е": "e",
    "ә": "ə",
    "ж": "j",
    "з": "z",
    "и": "i",
    "ы": "ı",
    "ј": "y",
    "к": "k",
    "ҝ": "g",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "ө": "ö",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ү": "ü",
    "ф": "f",
    "х": "x",
    "һ": "h",
    "ч": "ç",
    "ҹ": "c",
    "ш": "ş",
    "й": "y",
    "я": "ya",
    "ю": "yu",
    "ё": "yo",
    "э": "e",
    "ц": "ts",
    "щ": "şç",
    "ъ": "",
    "ь": "",
}

_FOLD = str.maketrans(
    {
        **AZ_FOLD_LOWER,  # ə→e, ı→i, ş→s, ç→c, ğ→g, ö→o, ü→u
        "ё": "е",
        # Turkish-keyboard and look-alike letters people paste
        "â": "a",
        "î": "i",
        "û": "u",
        "ä": "e",
    }
)

# Cc and Cf cover C0/C1 controls, zero-width characters and the bidi overrides (U+202A–202E,
# U+2066–2069). Tab and newline are turned into spaces, not dropped, so words stay apart.
_DROP_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
_SPACE_LIKE = frozenset("\t\n\r\x0b\x0c\x85\u2028\u2029")
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_WS = re.compile(r"\s+")


class CharTable(dict[int, str]):
    """A ``str.translate`` table filled the first time each character is seen: a per-character
    rule at C speed (tokenizing a knowledge base was mostly this loop written in Python)."""

    def __init__(self, rule: Callable[[str], str], limit: int = 1 << 16) -> None:
        super().__init__()
        self.rule = rule
        self.limit = limit  # characters remembered; a flood of rare ones is still answered, not stored

    def __missing__(self, code: int) -> str:
        value = self.rule(chr(code))
        if len(self) < self.limit:
            self[code] = value
        return value


def _control_rule(ch: str) -> str:
    if ch in _SPACE_LIKE:
        return " "
    return "" if unicodedata.category(ch) in _DROP_CATEGORIES else ch


_CONTROLS = CharTable(_control_rule)


def strip_controls(text: str) -> str:
    """Drop control, format (bidi, zero-width) and unassigned characters; keep line breaks as spaces."""
    return text.translate(_CONTROLS)


def clean(text: str) -> str:
    """NFKC, controls out, white space folded; letters and case kept."""
    text = unicodedata.normalize("NFKC", text or "")
    text = strip_controls(text)
    return _WS.sub(" ", text).strip()


def az_lower(text: str) -> str:
    """Lowercase with Azerbaijani dotted/dotless i: İ→i, I→ı (str.lower maps I→i and İ→i̇)."""
    return text.replace("İ", "i").replace("I", "ı").lower()


# Azerbaijani typed on a Russian keyboard has none of the marker letters ("Мен годжаям, яза
# билмирем"): it is told from Russian by its words and endings once transliterated, against
# Russian function words and endings.
_AZ_HINT_WORDS = frozenset(
    """
ucun nece niye harada harda hara haradan men mene menim sen biz bizim siz sizin onun olar olur
var yox yoxdur ne nedir ile ve bu lazim lazimdir isteyirem isteyirik edin edirem xahis zehmet
olmasa bilmirem bilerem neynim nece neynek salam sagol gore ucun hansi kimi indi hele yoxsa kim
verir olub olunub oldum neceye neceyedir pulsuz pullu yeni hardan haradadir
""".split()
)
_AZ_HINT_ENDINGS = (
    "maq",
    "mek",
    "dir",
    "dur",
    "lar",
    "ler",
    "dan",
    "den",
    "mis",
    "yam",
    "yem",
    "iram",
    "irem",
    "ucun",
    "acaq",
    "ecek",
    "iq",
    "ib",
    "ub",
    "lir",
    "ilir",
    "ulur",
    "sini",
    "nin",
    "nun",
    "misdi",
)
_RU_HINT_WORDS = frozenset(
    """
и в во на не что как где мне меня можно нужно для по с со у я мой моя мое мои это ли или а но от
до за из к ко о об при бы же уже есть нет вы вам вас ваш ваша пожалуйста какие какой какая когда
почему сколько если чтобы надо был была было будет могу хочу его её их он она они мы нам
""".split()
)
_RU_HINT_ENDINGS = ("ть", "ся", "ого", "его", "ых", "ими", "ая", "ое", "ие", "ый", "ой", "ую", "ешь")


def is_az_cyrillic(text: str) -> bool:
    """Azerbaijani in Cyrillic letters: the marker letters, or Azerbaijani words typed in Russian ones."""
    return not AZ_CYRILLIC_MARKERS.isdisjoint(text) or _az_in_russian_letters(text)


def _az_in_russian_letters(text: str) -> bool:
    words = re.findall(r"[а-яё]+", text.lower())
    if len(words) < 2:
        return False
    az = ru = 0.0
    for word in words:
        word_az, word_ru = _word_votes(word)
        ru += word_ru
        az += word_az
    return az >= 1 and az > ru


@functools.lru_cache(maxsize=1 << 16)  # pure, and a text repeats its words
def _word_votes(word: str) -> tuple[float, float]:
    """How much one lowercase Cyrillic word says Azerbaijani and Russian (0, 0.5 or 1 each)."""
    latin = az_cyrillic_to_latin(word).translate(_FOLD)
    # х and г stand for h and g as well as x and q on a Russian keyboard: "хара" is "hara".
    latin_hg = latin.replace("x", "h").replace("q", "g")
    ru = az = 0.0
    if word in _RU_HINT_WORDS:
        ru = 1
    elif word.endswith(_RU_HINT_ENDINGS) and len(word) > 3:
        ru = 0.5
    if latin in _AZ_HINT_WORDS or latin_hg in _AZ_HINT_WORDS:
        az = 1
    elif len(latin) > 3 and latin.endswith(_AZ_HINT_ENDINGS):
        az = 0.5
    return az, ru


_CYRILLIC_TABLE = str.maketrans(_AZ_CYRILLIC_TO_LATIN)


def az_cyrillic_to_latin(text: str) -> str:
    """Transliterate Azerbaijani Cyrillic to Latin (lowercase output); "дж" is c on a Russian keyboard."""
    text = text.lower().replace("дж", "ҹ")
    return text.translate(_CYRILLIC_TABLE)


def _strip_latin_marks(ch: str) -> str:
    # "i̇" (from a decomposed İ), "é", "ñ" → their base letter; Cyrillic й stays й.
    if ch.isascii() or not ch.isalpha() and not unicodedata.combining(ch):
        return ch
    if unicodedata.combining(ch):
        return ""
    base = unicodedata.normalize("NFD", ch)[0]
    return base if base.isascii() else ch


_LATIN_MARKS = CharTable(_strip_latin_marks)
_DIGRAPH = re.compile(r"([scg])h+")


@functools.lru_cache(maxsize=1 << 16)  # pure, and called once per token of every text
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
    text = text.translate(_LATIN_MARKS)
    return " ".join(_fold_digraphs(tok) if tok.isascii() else tok for tok in text.split())


def tokens(text: str) -> list[str]:
    """Folded word tokens (letters and digits) for BM25 and the intent features.

    Each line is folded on its own: an article's text holds its az, ru and en sections one
    after another, and one line of Azerbaijani in Cyrillic letters (an example question) must
    not transliterate the Russian lines too — that left Russian questions nothing to match."""
    return [tok for line in text.splitlines() for tok in _TOKEN.findall(fold(line))]
