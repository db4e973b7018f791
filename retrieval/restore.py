"""Put Azerbaijani letters back into text typed without them, for the dense embedder.

"vergi borcumu nece yoxlayim" embeds far from "vergi borcumu necə yoxlayım" in e5, while BM25
does not care (it folds both). So before a folded Azerbaijani question is embedded, each word
whose folded form is known is replaced by its most frequent written form, taken from the
knowledge base itself and a hand-written lexicon (``data/az_words.txt``). Unknown words stay.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import pickle
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

from knowledge.alphabet import AZ_LOWER
from retrieval.normalize import (
    AZ_CYRILLIC_MARKERS,
    az_cyrillic_to_latin,
    az_lower,
    clean,
    fold,
    is_az_cyrillic,
)

LEXICON = Path(__file__).resolve().parent / "data" / "az_words.txt"
AZ_SPECIAL = AZ_LOWER  # the lowercase letters: words are lowered before they are looked at
_WORD = re.compile(r"[^\W\d_]+")
# The code a restorer's vocabulary depends on besides this module: a change to either is a new cache.
_FOLDING_CODE = (
    Path(__file__).resolve().parent / "normalize.py",
    Path(__file__).resolve().parents[1] / "knowledge" / "alphabet.py",
)


# On a Russian keyboard х is typed for both x and h, г for q and g, ж for j and c: a word
# transliterated from one may need the other letter to be a word at all ("хара" → "xara" → "hara").
_KEYBOARD_SWAPS = {"x": "xh", "q": "qg", "j": "jc"}
_MAX_SWAPS = 5  # ambiguous letters tried per word (2**5 spellings at most)
# Russian has no ə, ü or ö: after a consonant people type я, ю, ё ("вятяндаш", "гюн", "дёрд"),
# which transliterate as ya, yu, yo; folded, the letters meant are e, u, o.
_SOFT_VOWEL = re.compile(r"(?<=[bcdfghjklmnpqrstvxz])y([auo])")
_SOFT_VOWEL_MEANT = {"a": "e", "u": "u", "o": "o"}


class AzRestorer:
    def __init__(self, forms: dict[str, str], known: frozenset[str] = frozenset()) -> None:
        self.forms = forms  # folded word -> written word
        self.known = known  # every folded word of the texts, with or without special letters

    @classmethod
    def from_texts(cls, texts: Iterable[str], lexicon: Path | None = LEXICON) -> AzRestorer:
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        # Each written word counted over all the texts first (in C), then folded and looked at
        # once: the same counts, and the same order of first occurrence within each folded word
        # (which breaks most_common's ties), as going word by word; a loop over every word of a
        # 10,000-article knowledge base was half of building its restorer.
        written: Counter[str] = Counter()
        for text in texts:
            written.update(_WORD.findall(az_lower(clean(text))))
        known: set[str] = set()
        for word, count in written.items():
            key = fold(word)
            known.add(key)
            if any(ch in AZ_SPECIAL for ch in word):
                counts[key][word] += count
        if lexicon is not None and lexicon.is_file():
            for word in lexicon.read_text(encoding="utf-8").split():
                word = az_lower(word.strip())
                if any(ch in AZ_SPECIAL for ch in word):
                    counts[fold(word)][word] += 1
        forms = {folded: c.most_common(1)[0][0] for folded, c in counts.items()}
        return cls(forms, frozenset(known | set(forms)))

    @classmethod
    def cached(
        cls, texts: Iterable[str], cache_file: Path | None, lexicon: Path | None = LEXICON
    ) -> AzRestorer:
        """:meth:`from_texts`, kept in ``cache_file`` under a hash of the texts, the lexicon and
        the code that folds and counts them (a cold start skips folding every word of the
        knowledge base); a missing, stale or damaged cache is built anew and rewritten."""
        texts = list(texts)
        if cache_file is None:
            return cls.from_texts(texts, lexicon)
        digest = hashlib.sha256()
        for part in (Path(__file__), *_FOLDING_CODE, *([lexicon] if lexicon is not None else [])):
            digest.update(part.read_bytes() if part.is_file() else b"-")
            digest.update(b"\x1e")
        for text in texts:
            digest.update(text.encode("utf-8", "surrogatepass"))
            digest.update(b"\x1f")
        key = digest.hexdigest()
        try:
            with cache_file.open("rb") as f:
                state = pickle.load(f)
            if isinstance(state, dict) and state.get("key") == key:
                return cls(state["forms"], state["known"])
        except Exception:  # missing, damaged or from other code: built anew below
            pass
        restorer = cls.from_texts(texts, lexicon)
        tmp = cache_file.with_name(f".{cache_file.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            with tmp.open("wb") as out:
                pickle.dump({"key": key, "forms": restorer.forms, "known": restorer.known}, out)
            os.replace(tmp, cache_file)
        except OSError:  # a read-only data folder: built on every start, as before
            tmp.unlink(missing_ok=True)
        return restorer

    def restore_keyboard(self, latin: str) -> str:
        """Azerbaijani typed in Russian letters, already transliterated: each word is folded and
        spelt with the first reading of its ambiguous letters that the texts know, then written
        with its letters ("ucun" → "üçün", "xara" → "hara", "birinji" → "birinci")."""

        def known_reading(word: str) -> str | None:
            slots = [i for i, ch in enumerate(word) if ch in _KEYBOARD_SWAPS][:_MAX_SWAPS]
            for letters in itertools.product(*(_KEYBOARD_SWAPS[word[i]] for i in slots)):
                chars = list(word)
                for i, ch in zip(slots, letters):
                    chars[i] = ch
                spelling = "".join(chars)
                if spelling in self.known:
                    return self.forms.get(spelling, spelling)
            return None

        def swap(match: re.Match[str]) -> str:
            word = fold(match.group(0))
            found = known_reading(word)
            if found is None:
                softened = _SOFT_VOWEL.sub(lambda m: _SOFT_VOWEL_MEANT[m.group(1)], word)
                if softened != word:
                    found = known_reading(softened)
            if found is not None:
                return found
            return self.forms.get(word, match.group(0))

        return _WORD.sub(swap, clean(latin))

    def read_russian_letters(self, text: str) -> str | None:
        """Azerbaijani typed in Russian letters as the Latin words the texts know ("хара гедек" →
        "hara gedək"); None for any other text (Azerbaijani Cyrillic proper is transliterated
        exactly by the folding itself)."""
        if not is_az_cyrillic(text) or any(ch in AZ_CYRILLIC_MARKERS for ch in text):
            return None
        return self.restore_keyboard(az_cyrillic_to_latin(text))

    def restore(self, text: str) -> str:
        """Words typed without letters get them back; words that have any are left alone."""

        def swap(match: re.Match[str]) -> str:
            word = match.group(0)
            lowered = az_lower(word)
            if any(ch in AZ_SPECIAL for ch in lowered):
                return word
            return self.forms.get(fold(lowered), word)

        return _WORD.sub(swap, clean(text))
