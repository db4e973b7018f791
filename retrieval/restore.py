"""Put Azerbaijani letters back into text typed without them, for the dense embedder.

"vergi borcumu nece yoxlayim" embeds far from "vergi borcumu necə yoxlayım" in e5, while BM25
does not care (it folds both). So before a folded Azerbaijani question is embedded, each word
whose folded form is known is replaced by its most frequent written form, taken from the
knowledge base itself and a hand-written lexicon (``data/az_words.txt``). Unknown words stay.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

from knowledge.alphabet import AZ_LOWER
from retrieval.normalize import az_lower, clean, fold

LEXICON = Path(__file__).resolve().parent / "data" / "az_words.txt"
AZ_SPECIAL = AZ_LOWER  # the lowercase letters: words are lowered before they are looked at
_WORD = re.compile(r"[^\W\d_]+")


# On a Russian keyboard х is typed for both x and h, г for q and g, ж for j and c: a word
# transliterated from one may need the other letter to be a word at all ("хара" → "xara" → "hara").
_KEYBOARD_SWAPS = {"x": "xh", "q": "qg", "j": "jc"}
_MAX_SWAPS = 5  # ambiguous letters tried per word (2**5 spellings at most)


class AzRestorer:
    def __init__(self, forms: dict[str, str], known: frozenset[str] = frozenset()) -> None:
        self.forms = forms  # folded word -> written word
        self.known = known  # every folded word of the texts, with or without special letters

    @classmethod
    def from_texts(cls, texts: Iterable[str], lexicon: Path | None = LEXICON) -> AzRestorer:
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        known: set[str] = set()
        folded: dict[str, str] = {}  # fold is pure and a knowledge base repeats its words
        for text in texts:
            for word in _WORD.findall(az_lower(clean(text))):
                key = folded.get(word)
                if key is None:
                    key = folded[word] = fold(word)
                known.add(key)
                if any(ch in AZ_SPECIAL for ch in word):
                    counts[key][word] += 1
        if lexicon is not None and lexicon.is_file():
            for word in lexicon.read_text(encoding="utf-8").split():
                word = az_lower(word.strip())
                if any(ch in AZ_SPECIAL for ch in word):
                    counts[fold(word)][word] += 1
        forms = {folded: c.most_common(1)[0][0] for folded, c in counts.items()}
        return cls(forms, frozenset(known | set(forms)))

    def restore_keyboard(self, latin: str) -> str:
        """Azerbaijani typed in Russian letters, already transliterated: each word is folded and
        spelt with the first reading of its ambiguous letters that the texts know, then written
        with its letters ("ucun" → "üçün", "xara" → "hara", "birinji" → "birinci")."""

        def swap(match: re.Match[str]) -> str:
            word = fold(match.group(0))
            slots = [i for i, ch in enumerate(word) if ch in _KEYBOARD_SWAPS][:_MAX_SWAPS]
            for letters in itertools.product(*(_KEYBOARD_SWAPS[word[i]] for i in slots)):
                chars = list(word)
                for i, ch in zip(slots, letters):
                    chars[i] = ch
                spelling = "".join(chars)
                if spelling in self.known:
                    return self.forms.get(spelling, spelling)
            return self.forms.get(word, match.group(0))

        return _WORD.sub(swap, clean(latin))

    def restore(self, text: str) -> str:
        """Words typed without letters get them back; words that have any are left alone."""

        def swap(match: re.Match[str]) -> str:
            word = match.group(0)
            lowered = az_lower(word)
            if any(ch in AZ_SPECIAL for ch in lowered):
                return word
            return self.forms.get(fold(lowered), word)

        return _WORD.sub(swap, clean(text))
