"""Put Azerbaijani letters back into text typed without them, for the dense embedder.

"vergi borcumu nece yoxlayim" embeds far from "vergi borcumu necə yoxlayım" in e5, while BM25
does not care (it folds both). So before a folded Azerbaijani question is embedded, each word
whose folded form is known is replaced by its most frequent written form, taken from the
knowledge base itself and a hand-written lexicon (``data/az_words.txt``). Unknown words stay.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

from retrieval.normalize import az_lower, clean, fold

LEXICON = Path(__file__).resolve().parent / "data" / "az_words.txt"
AZ_SPECIAL = frozenset("əğışçöü")
_WORD = re.compile(r"[^\W\d_]+")


class AzRestorer:
    def __init__(self, forms: dict[str, str]) -> None:
        self.forms = forms  # folded word -> written word

    @classmethod
    def from_texts(cls, texts: Iterable[str], lexicon: Path | None = LEXICON) -> AzRestorer:
        counts: dict[str, Counter] = defaultdict(Counter)
        for text in texts:
            for word in _WORD.findall(az_lower(clean(text))):
                if any(ch in AZ_SPECIAL for ch in word):
                    counts[fold(word)][word] += 1
        if lexicon is not None and lexicon.is_file():
            for word in lexicon.read_text(encoding="utf-8").split():
                word = az_lower(word.strip())
                if any(ch in AZ_SPECIAL for ch in word):
                    counts[fold(word)][word] += 1
        forms = {folded: c.most_common(1)[0][0] for folded, c in counts.items()}
        return cls(forms)

    def restore(self, text: str) -> str:
        """Words typed without letters get them back; words that have any are left alone."""

        def swap(match: re.Match) -> str:
            word = match.group(0)
            lowered = az_lower(word)
            if any(ch in AZ_SPECIAL for ch in lowered):
                return word
            return self.forms.get(fold(lowered), word)

        return _WORD.sub(swap, clean(text))
