"""Which language a message is in: az, ru or en.

Azerbaijani typed without its letters is the normal case, so the decision does not lean on ə/ş/ı
alone: it counts function words and suffixes of each language over the folded tokens. Cyrillic
text is Russian unless it has the letters only Azerbaijani Cyrillic uses (ә, ғ, һ, ҹ, ө, ү, ј).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from knowledge.alphabet import AZ_LOWER, AZ_UPPER
from retrieval.normalize import clean, is_az_cyrillic, tokens

# Not the ASCII I, the capital of ı: English writes it too ("I need a passport").
AZ_LETTERS = (AZ_LOWER | AZ_UPPER) - frozenset("I")
# Folded forms of frequent Azerbaijani words (what "nece", "necə" and "neçə" all become).
AZ_WORDS = frozenset(
    """
ve bu o ne nece niye neye harada harda haradan hardan hara hansi kim kime ucun ile ya yoxsa amma
ama men mene menim sen senin biz bizim siz sizin onun olar olur olmaz olub var yox yoxdur yoxdu
edim edir etmek etmeliyem isteyirem isteyirik lazim lazimdir lazimdi zehmet olmasa salam sagol
sag olun tesekkur xahis edirem necedir hara haqqinda barede gore qeder sonra evvel indi bele
hemin butun her hec cox az bir iki uc gun ay il pul borc vergi senedi sened mumkun mumkundur
mi mu dir dur elemek eleye bilerem bilerik bilersiz bilersiniz harda gedim alim edek verin
xudahafiz hele heleki baxmaq yoxlamaq almaq vermek etdim etmisem gelib gedib uzre
""".split()
)
AZ_SUFFIXES = (
    "maq",
    "mek",
    "lar",
    "ler",
    "nin",
    "nun",
    "dan",
    "den",
    "da",
    "de",
    "yam",
    "yem",
    "iram",
    "irem",
    "ucun",
    "mis",
    "mus",
    "ib",
    "ub",
    "im",
    "in",
    "miz",
    "niz",
    "dir",
    "dur",
    "sin",
    "siz",
    "lik",
    "liq",
    "luq",
    "cak",
    "cek",
    "acaq",
    "ecek",
)
EN_WORDS = frozenset(
    """
the a an is are was were be been do does did can could should would will my me i you your we our
to of in on at for with from how what where when which who why it this that there please and or
not no yes get apply need have has check online number card how's what's i'm don't
hello hi thanks thank bye good morning evening see later help
""".split()
)
# English words of state services that no Azerbaijani word folds into (short phrases such as
# "travel ban check" carry no function word).
EN_CONTENT = frozenset(
    """
registration register check ban travel car inspection due job seeker certificate licence license
passport fine fines permit visa birth marriage divorce death court notary apostille military
pension tax taxes debt payment pay allowance benefit benefits office online appointment driving
renew renewal lost stolen id card status service services application apply address residence
""".split()
)
# Russian typed in Latin letters ("kak poluchit pasport").
RU_TRANSLIT = frozenset(
    """
kak gde chto pochemu mozhno nuzhno nuzhen nuzhny skolko spasibo pozhaluysta pozhalujsta privet
zdravstvuyte poluchit sdelat oformit kakie kakoy kakaya mne menya moy moya eto dlya ili
rabotaet dokumenty spravka spravku napishi skazhi
""".split()
)
EN_ENDINGS = ("tion", "ing", "ment", "ness", "ity", "ance", "ence")
AZ_COPULAS = ("dir", "dır", "dur", "di", "du", "mi", "mu")
_DOMAIN = re.compile(r"\b[\w-]+(?:\.[\w-]+)*\.(?:az|com|net|org|ru)\b\S*", re.IGNORECASE)
RU_HINT = re.compile(r"[а-яё]", re.IGNORECASE)


class LanguageGuess(NamedTuple):
    lang: str  # az | ru | en
    confident: bool  # False for very short or ambiguous text ("ok", "👍")


def detect_language(text: str, default: str = "az") -> LanguageGuess:
    text = clean(text)
    # A site's name ("e-gov.az") says nothing of the writer's language.
    letters = [ch for ch in _DOMAIN.sub(" ", text) if ch.isalpha()] or [ch for ch in text if ch.isalpha()]
    if not letters:
        return LanguageGuess(default, False)
    cyrillic = sum(1 for ch in letters if "\u0400" <= ch <= "\u04ff")
    if cyrillic > len(letters) / 2:
        if is_az_cyrillic(text):
            return LanguageGuess("az", True)
        return LanguageGuess("ru", len(letters) >= 4)
    has_az_letters = any(ch in AZ_LETTERS for ch in text)
    words = tokens(text)
    az = en = ru = 0.0
    for w in words:
        if w in RU_TRANSLIT:
            ru += 1.0
            continue
        weight = 0.5 if len(w) <= 2 else 1.0  # "in", "en": English or a glued-on ending
        if w in AZ_WORDS or any(w.endswith(c) and w[: -len(c)] in AZ_WORDS for c in AZ_COPULAS):
            az += weight
        elif w in EN_WORDS:
            en += weight
        elif w in EN_CONTENT or (len(w) > 5 and w.endswith(EN_ENDINGS)):
            en += 0.5
        elif len(w) > 4 and w.endswith(AZ_SUFFIXES):
            az += 0.5
    if has_az_letters:
        # Azerbaijani letters, unless they only spell a service's name in an English sentence
        # ("How do I get ASAN İmza?").
        return LanguageGuess("en", True) if en >= 2 and en > az + 1 else LanguageGuess("az", True)
    if ru > az and ru > en:
        return LanguageGuess("ru", ru >= 2)
    if az == en:
        return LanguageGuess(default, False)
    lang = "az" if az > en else "en"
    return LanguageGuess(lang, abs(az - en) >= 1 and len(words) >= 2)
