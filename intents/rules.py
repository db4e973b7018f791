"""Keyword rules for the conversational intents (greeting, thanks, goodbye, help, operator).

A first, transparent layer: short messages that are only a greeting or a thank-you, and explicit
requests for a person. Everything else is a ``question`` for retrieval to answer. Patterns run on
the folded text, so "təşəkkür", "tesekkur" and "tashakkur" are one.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from retrieval.normalize import fold, tokens

INTENTS = (
    "greeting",
    "thanks",
    "goodbye",
    "help",
    "operator_request",
    "question",
    "complaint",
    "personal_case",
    "out_of_scope",
)
SMALLTALK = frozenset({"greeting", "thanks", "goodbye", "help"})


class IntentPrediction(NamedTuple):
    intent: str
    confidence: float
    sector: str | None = None


def _rx(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"(?:^|\b)(?:" + "|".join(alternatives) + r")", re.IGNORECASE)


# Asking for a person outright: always a request. Each pattern names the person *and* the asking,
# so a question that only mentions people ("can a person with a disability …", "human rights",
# "insanlara", "canlı heyvan", "соединение газа", "talk to a notary") stays a question.
_PERSON_STRONG = _rx(
    r"canli (?:operator|insan|adam|bir (?:adam|insan|operator)|emekdas|isci|biri|destek|danis|cat"
    r"|cavab|yazis|qosul|elaqe)",
    r"(?:kimse|cata) (?:\w+ )?canli",
    r"real (?:insan|adam|emekdas|isci)",
    r"insanla\b",
    r"insan lazim",
    r"adamla danis",
    r"живо\w* (?:человек|оператор)",
    r"с человеком",
    # (folded text: "rights" reads "rigts")
    r"humans?\b(?! rig?h?ts?\b| capital| resources?| trafficking| development)",
    r"(?:real|live|actual) person",
    r"(?:to|with|need|want|like|get|give me) (?:a|an) (?:real |live |actual )?(?:person|human)\b",
    r"someone from (?:the |your )?(?:support|help ?desk|team|staff|operators?)",
    r"live agent",
    r"support team",
    r"(?:talk|speak|chat) (?:to|with) (?:someone|somebody|(?:a|an|the) (?:real |live |actual )?"
    r"(?:person|human|operator|agent|employee|specialist|consultant|support|staff))",
    r"connect me (?:to|with) (?:someone|somebody|(?:a|an|the) (?:real |live )?"
    r"(?:person|human|operator|agent|consultant|specialist|employee|manager)"
    r"|(?:the )?(?:support|staff))",
    r"connect me\W*(?:please\W*)?$",
    r"put me through",
    r"переключ\w* (?:меня|на (?:оператор|человек|сотрудник|специалист|менеджер|консультант|живо))",
    r"соедин\w* (?:меня|с (?:оператор|человек|сотрудник|специалист|менеджер|консультант|живы))",
)
# Words that name a person but also other things ("the mobile operator", "e-kassa operator"):
# a request only in a short message or next to a word that asks for one.
_PERSON_WEAK = _rx(
    r"operator",
    r"оператор",
    r"emekdas",
    r"menecer",
    r"сотруд",
    r"сп[еe]циалист",
    r"консультант",
    r"agent",
    r"staff",
)
_ASKING = _rx(
    r"ver(?:in|)\b",
    r"lazim",
    r"qos",
    r"bagla",
    r"danis",
    r"isteyirem",
    r"yonlendir",
    r"cagir",
    r"yazsin",
    r"дайте",
    r"нужен",
    r"позов",
    r"хочу",
    r"пожалуйста",
    r"переведите",
    r"please",
    r"i want (?:a|an|to)\b",
    r"i need (?:a|an|to)\b",
    r"give me",
    r"get me",
)
_PERSON_NOT_ASKED = _rx(
    r"mobil operator",
    r"operatordan",
    r"operatorun",
    r"e-?kassa",
    r"sim kart",
    r"мобильн\w* оператор",
    r"у оператора",
    r"mobile operator",
    r"as an? (?:e-?kassa )?operator",
    # the operator of a phone line the citizen calls: "108-ə zəng etsəm, operator deyəcək …?"
    r"zeng (?:etsem|edende|edib|edirem)",
    r"(?:if|when) i (?:call|phone|ring)",
    r"(?:если|когда) (?:я )?(?:позвоню|звоню)",
)


def asks_for_person(folded: str, n_tokens: int) -> bool:
    if _PERSON_STRONG.search(folded):
        return True
    if not _PERSON_WEAK.search(folded) or _PERSON_NOT_ASKED.search(folded):
        return False
    return n_tokens <= 4 or bool(_ASKING.search(folded))


_PATTERNS: dict[str, re.Pattern[str]] = {
    "thanks": _rx(
        r"tesekkur",
        r"tesekur",
        r"sagol",
        r"sag ol",
        r"minnetdar",
        r"спасибо",
        r"благодар",
        r"thank",
        r"thx",
        r"merci",
    ),
    "goodbye": _rx(
        r"xudahafiz",
        r"helelik",
        r"gorusen?edek",
        r"sag qal",
        r"до свидания",
        r"пока\b",
        r"до встречи",
        r"bye\b",
        r"goodbye",
        r"see you",
        r"good night",
    ),
    "greeting": _rx(
        r"salam",
        r"sabahiniz xeyir",
        r"axsamin(?:iz)? xeyir",
        r"gunortaniz xeyir",
        r"здравств",
        r"привет",
        r"добр\w* (?:утро|день|вечер)",
        r"hello",
        r"\bhi\b",
        r"hey+\b",  # not "heyvan" (animal), "heyət" (staff)
        r"good (?:morning|afternoon|evening)",
        r"greetings",
    ),
    "help": _rx(
        r"ne ede bilersen",
        r"hansi movzu",
        r"hansi suallar",
        r"neye komek",
        r"nece istifade",
        r"что ты умеешь",
        r"какие вопросы",
        r"чем (?:ты )?можешь помочь",
        r"what can you do",
        r"what do you (?:do|know)",
        r"how (?:do i|to) use (?:you|this bot)",
        r"^/?help$",
        r"^/?komek$",
        r"^/?помощь$",
    ),
}
# Asking where or how to lodge a complaint is a question about the complaints procedure, which a
# card answers (with "talk to a person" under it), even when the grievance is told first: "they
# lost my papers three times; where can I officially complain?". Folded text: ş→s, ə→e.
_WHERE = (
    r"(?:hara|harada|haraya|kime|nece|hansi|куда|где|как|кому"
    r"|where|how(?! many| much| long| often)|who|which"
    # whether a body takes complaints, asked: "примет ли колл-центр жалобу", "qəbul edirmi"
    r"|(?:примет|принимает|принимают|принимаются) ли|qebul (?:edir|edirler|edilir|olunur)mi)"
)
_COMPLAIN = r"(?:sikayet\w*|жалоб\w*|пожаловат\w*|обжалова\w*|complain\w*|appeal\w*)"
_COMPLAINT_PROCEDURE = re.compile(
    rf"\b{_WHERE}\b[^.!?]*\b{_COMPLAIN}|\b{_COMPLAIN}[^.!?]*\b{_WHERE}\b", re.IGNORECASE
)


def asks_how_to_complain(folded: str) -> bool:
    """The message asks where or how to complain (in one sentence), not only complains."""
    return bool(_COMPLAINT_PROCEDURE.search(folded))


# A greeting or thanks inside a real question ("salam, vergi borcumu necə yoxlayım?") is a
# question: smalltalk only when the message is short.
_SMALLTALK_MAX_TOKENS = 7


class KeywordIntents:
    """Rule-based intent detection; ``predict`` never raises."""

    name = "rules-v1"

    def predict(self, text: str) -> IntentPrediction:
        folded = fold(text)
        words = tokens(text)
        if not words:
            return IntentPrediction("out_of_scope", 0.0)
        if asks_for_person(folded, len(words)):
            return IntentPrediction("operator_request", 0.9)
        if _PATTERNS["help"].search(folded):
            return IntentPrediction("help", 0.8)
        if len(words) <= _SMALLTALK_MAX_TOKENS:
            for intent in ("thanks", "goodbye", "greeting"):
                if _PATTERNS[intent].search(folded):
                    return IntentPrediction(intent, 0.8)
        return IntentPrediction("question", 0.5)
