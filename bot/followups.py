"""Reading a message as a turn of a conversation: a follow-up on the card in context, a repair,
a clarify answered by typing, or several questions at once.

Everything here works on the folded text (``retrieval.normalize.fold``: Azerbaijani lowercased,
ə/ş/ç/ğ/ı/ö/ü folded, Cyrillic Azerbaijani read as Latin), so "neçəyə başa gəlir", "neceye basha
gelir" and "нечәјә баша ҝәлир" are one cue. The cues are stems matched at word starts; they are
short lists on purpose, kept beside the tests that pin them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Literal, NamedTuple

from retrieval.normalize import fold, tokens

Part = Literal["fee", "duration", "documents", "where", "link", "eligibility"]
PARTS: tuple[Part, ...] = ("fee", "duration", "documents", "where", "link", "eligibility")


def stems(listed: str) -> tuple[str, ...]:
    """Cue stems written as "a | b | c" (one line of data per few cues, not one per line)."""
    return tuple(stem.strip() for stem in listed.split("|") if stem.strip())


# Stems that ask for one part of a card; a phrase matches where a word starts (folded at compile).
PART_CUES: dict[Part, tuple[str, ...]] = {
    "fee": stems(
        "neceye | nece manat | nece pul | ne qeder pul | ne qeder odeni | ne qeder ode | qiymet | pul | "
        "rusum | haqq | basa gel | ucretsiz | havayi | komissiya | сколько стоит= | скольк стоит= | скока "
        "стоит= | скоко стоит= | сколько это стоит= | стоит= | стоимост | цен | пошлин | платн | бесплатн "
        "| сколько денег | сколько плат | комисси | how much | cost | price | fee= | fees= | free | fre= | "
        "charge | duty | commission | skolko stoit | skolko stoyit | stoit= | tsena | cena= | platno | "
        "besplatno"
    ),
    "duration": stems(
        "nece gun | nece gune | tez-tez | nece ilden bir | nece ayda bir | nece vaxta | nece vaxt | "
        "nece saat | nece hefte | nece aya | nece il | ne "
        "vaxt | ne zaman | muddet | hazir olar= | hazir olur | hazir olacaq | ne qeder vaxt | ne qeder "
        "gozle | ne qeder cek | cekir | gozlemek | gozleyim | tez olur= | etibarli | qüvvede | valid= | "
        "сколько дней | сколько времени | скока времени | скоко времени | как часто | сколько по времени | "
        "скольк ждать | скока ждать | скоко ждать | "
        "сколько ждать | через сколько | на сколько | на скока | срок | когда будет | когда готов | когда "
        "назнач | когда дадут | как долго | как быстро | долго | действует | действителен | how long | how "
        "soon | when will | when is it | when can i | when do i get | by when | how many days | how fast | "
        "how quickly | how often | be ready | is ready | it ready | ready by | ready in | ready within | "
        "take long | wait | delay | right away | valid= | expire | deadline | "
        "within what | what period | son tarix | son muddet | крайний срок | до какого числа | "
        "skolko zhdat | "
        "skolko dney | srok="
    ),
    "documents": stems(
        "senedler | senedleri | senedlerin | hansi sened | ne sened | sened lazim | sened teleb | sened "
        "gotur | sened apar | senetler | snedler | ne lazim | ne lazimdir | ne teleb | teleb olun | ne "
        "gotur | ne aparim | ne apar | ne getir | lazim olan | ozumle | arayis lazim | документы | "
        "документов | докуметы | докумнты | какие док | бумаг | что нужно | что надо | что взять | что "
        "принести | что с собой | справки нужны | что требуется | docs= | documents | documnts | papers | "
        "paperwork | bring | what do i need | what i need | have ready | prepare | which document | "
        "what document | which sened | what sened | какой документ | какую справку | need to have | "
        "what should i take | required | "
        "need anything | anything i need | need any | do i need my | do i need a= | do i need an= | do i "
        "need the | нужен ли | нужна ли | нужно ли что | надо ли что | dokumenty | dokumenti | "
        "kakie dok"
    ),
    "where": stems(
        "hara | harda | harada | hansi qurum | hansi idare | hansi merkez | hansi orqan | hansi ofis | "
        "asan= | onlayn | internetden | internetle | evden | unvan | ofis | getmeliyem | getmek lazim | "
        "hara ged | hansi notarius | muraciet edim | "
        "muraciet edek | куда | где | в какой | какой орган | какое ведомство | какая организация | онлайн "
        "| через интернет | асан= | адрес | лично | обращаться | идти= | where | were do | which office | "
        "which agency | which authority | what authority | who handles | online | in person | address | go "
        "to | visit= | kuda= | gde="
    ),
    "link": stems(
        "link | sayt | sayit | kecid | portal | ssilka | ссылк | сылк | сайт | портал | website | web "
        "address | site | url | web page | webpage | ssylk | sait= | саит"
    ),
    "eligibility": stems(
        "usaq | usag | korpe | azyasli | yetkinlik | yasi tamam | atasi= | anasi= | yasim | yasinda | "
        "yasi= | exempt | освобожд | льгот | guzest | azad olun | years old | year old | aged= | "
        "pensiyaci | teqaudcu | yasli | xarici | acnebi | "
        "vetendasligi olmayan | elil | valideyn | anam= | atam= | qohum | heyat yoldas | numayende | ucun "
        "de | eynidir | menim yerime | etibarname | kim ala | kim muraciet | kimler | hansi uzvu | huququ | "
        "ребен | ребён | дети | детей | детям | детск | детя | малол | несовершеннолет | пенсионер | "
        "иностран | инвалид | родител | родствен | мама= | маме= | мать= | отец= | муж= | жены | жена | "
        "представител | за меня | доверенност | тоже | так же | для него | для нее | для неё | кто может | "
        "кому положен | положен | child | kid= | kids= | my son= | daughter | baby | minor | pensioner | "
        "retiree | elderly | foreigner | foreign | disab | relative | spouse | husband | wife | mom= | mum= "
        "| mother | father | dad= | representative | on behalf | another person | someone else | for me | "
        "same for | too= | as well | power of attorney | parent | who can= | who is eligible | eligib | "
        "self employed | self-employed | if i am | if im | if i'm | telebe | студент | student | ev sahibi | "
        "mulkiyyetci | sahibi= | хозяин | владел | собственник | owner | landlord | кто подает | кто "
        "подаёт | кто оформляет | kim verir | kim edir | who "
        "submits | who applies | who files | чуж | basqasinin | someone else's | other person's | за отца | "
        "за мать | за маму | за сына | за дочь | for my father | for my mother"
    ),
}
# Words about paying that ask for the fee only when nothing else is asked ("where do I pay it?"
# asks where; "do I pay anything?" asks the fee).
WEAK_FEE_CUES = stems(
    "odenis | odenil | odeni | odeme | xerc | manat | azn= | оплат | плат | pay | paid | payment"
)
# A bare word that asks for a part only as a whole short message ("sənəd?"); in a longer one
# it is the thing wanted ("sənəd almaq istəyirəm": I want to get a document).
SHORT_CUES: dict[Part, tuple[str, ...]] = {
    "documents": stems("sened= | senet= | документ= | document= | doc="),
}
# Whom an eligibility follow-up asks about, to find the card's lines about them.
GROUP_STEMS: dict[str, tuple[str, ...]] = {
    "child": stems(
        "usaq | usag | korpe | azyasli | yetkinlik | 18 yas | ребен | ребён | дети | детей | детям | детск "
        "| детя | малол | несовершеннолет | 18 лет | летн | child | kid= | kids= | son= | daughter | baby | "
        "minor | under 18 | year-old | year old | yasinda"
    ),
    "pensioner": stems("pensiyaci | teqaudcu | yasli | пенсионер | pensioner | retiree | elderly"),
    "student": stems("telebe | студент | student"),
    "owner": stems("ev sahibi | mulkiyyetci | sahibi= | хозяин | владел | собственник | owner | landlord"),
    "employer": stems("isegoturen | работодател | employer"),
    "foreigner": stems("xarici | acnebi | vetendasligi olmayan | иностран | foreign"),
    "disability": stems("elil | инвалид | disab"),
    "proxy": stems(
        "etibarname | menim yerime | qohum | valideyn | heyat yoldas | numayende | доверенност | за меня | "
        "родствен | родител | представител | power of attorney | on behalf | another person | someone else "
        "| representative | relative | parent | за отца | за мать | за маму | for my father | for my mother"
    ),
}
REPAIR_CUES = stems(
    "komek etmedi | melumat deyil | lazim olan deyil | не отвечает | не ответили | не ответил | "
    "kome etmedi | bu deyil | bu olmadi | bu duz deyil | duz deyil | sehv | bunu sorusmadim "
    "| bunu sorusmuram | basqa sey | basa dusmedin | anlamadin | isime yaramadi | cavab vermedi | cavab "
    "vermir | uygun deyil | не то | не помогло | не это | не про то | неправильн | не подходит | я не об "
    "этом | не об этом | вы не поняли | не понял | другое | не тот | не ответ | didn't help | did not help "
    "| didnt help | not helpful | not what i | wrong | not it | not this | something else | that's not | "
    "thats not | doesn't help | does not help | no use | not the right | does not answer | doesn't answer | "
    "didn't answer | did not answer | not my question | sorusdugum deyil | sorusdugum bu deyil | "
    "sorusdugum sey deyil | istediyim deyil | axtardigim deyil | bunu sorusmu | bunu sorusmad | bunu "
    "demedim | basqa sey sorusdum | yanlis cavab | я не это спрашивал | я не то спрашивал | не то спросил | "
    "спрашивал другое | спрашивала другое | не о том | это не то | не тот ответ | ne to= | ne pomoglo | "
    "wrong answer | i didn't ask | i did not ask | i asked something else | not what i asked | not that one"
)
# A message that opens a question of its own: "bir də soruşum", "а ещё", "one more question", or
# how to get or do something ("necə alaq", "как получить", "how do I get"). With one of these, a
# service the card in context only mentions ("a birth certificate" among a card's documents) is
# being asked about, not mentioned in passing.
NEW_QUESTION_CUES = stems(
    "bir de= | bir sual | basqa sual | sorusurdum | sorusmaq isteyirem | sorusum= | necə ala | nece "
    "ala | nece cixar | nece ed | nece resmiles | nece qeydiyyat | nece deyis | nece ver | nece muraciet | "
    "nece yoxla | а ещё | а еще | ещё вопрос | еще вопрос | другой вопрос | я спрашивал | я спрашивала | "
    "как получить | как оформить | как сделать | как подать | как поменять | как заменить | как "
    "восстановить | как зарегистр | как проверить | one more question | another question | i was asking | "
    "i meant | how do i get | how do i apply | how do i register | how do i obtain | how do i renew | how do "
    "i replace | how do i submit | how do i check | how can i get | how to get | how to apply | "
    "how do i pay | how can i pay | how to pay | как оплатить | как заплатить | nece odeyim | nece odeye | "
    "nece odemek"
)
# Words that point back at the card in context ("do I need my passport for that?"): whatever else
# the message names, it asks about the card.
BACK_REFERENCE_CUES = stems(
    "for that | for it= | for this | bunun ucun | onun ucun | bunun= | buna= | для этого | для него | для "
    "нее | для неё | на это | для этой | под это"
)
# A clarify's choice typed by its place: word → index (-1: the last one).
ORDINALS: dict[str, int] = {
    **dict.fromkeys(
        stems(
            "1 | birinci | birincisi | birincini | birincisini | first | 1st | former | первый | первая | "
            "первое | первую | первого | первому"
        ),
        0,
    ),
    **dict.fromkeys(
        stems(
            "2 | ikinci | ikincisi | ikincini | ikincisini | second | 2nd | two | второй | вторая | второе | "
            "вторую | второго | второму"
        ),
        1,
    ),
    **dict.fromkeys(
        stems(
            "3 | ucuncu | ucuncusu | ucuncunu | ucuncusunu | third | 3rd | three | третий | третья | третье "
            "| третью | третьего | третьему"
        ),
        2,
    ),
    **dict.fromkeys(
        stems(
            "sonuncu | sonuncusu | sonuncunu | axirinci | last | latter | последний | последняя | последнее "
            "| последнюю"
        ),
        -1,
    ),
}
# Words that carry no service: what is left after the cues and these is what names a service.
FILLER = frozenset(
    "bes ve ya bu o ne nece mi mu men mene menim bizim sizin onun ucun de da ki bir olar olur edim "
    "etmek lazim lazimdir varmi var yox hem hemcinin zehmet olmasa sual salam cox sag ol "
    "а и или это то как что сколько мне меня нам для ли ну вот там же тоже еще ещё его её их "
    "пожалуйста спасибо он она они мой моя моё мои у в на по с к о об "
    "and or the a an is it its this that what how much for my me i do does can will be to of "
    "in on with about also too then so please thanks ok okay there any which take go get need want "
    "know tell hansi hansı ucun gore sonra какой какая какие нужно надо можно "
    "yaxsi oldu aydin aydindir anladim хорошо ладно понятно ясно отлично great fine got alright".split()
)
# A second question in the same message: "…, and how much…", "… və neçəyə…", "…, а сколько…".
_SECOND_QUESTION = re.compile(
    r"(?:\?\s+|[,;]\s*|\s)(?=(?:and|also|plus|və|ve|həm|hem|а|и|также)\s+"
    r"(?:how|what|where|when|which|is|does|do|can|necə|nece|neçə|nece|neçəyə|neceye|nə|ne|hara|harada|"
    r"hansı|hansi|как|сколько|что|где|куда|когда|какие|какой|нужно)\b)",
    re.IGNORECASE,
)


def _alternation(stems: Iterable[str]) -> str:
    # "stem=" is a whole word ("mum=" must not take "mümkün", "son=" not "sonra").
    folded = {(fold(s.rstrip("=")), s.endswith("=")) for s in stems}
    ordered = sorted(folded, key=lambda item: len(item[0]), reverse=True)
    return "|".join(re.escape(s) + (r"(?![^\W\d_])" if whole else "") for s, whole in ordered if s)


def cue(stems: Iterable[str], tail: str = "") -> re.Pattern[str]:
    """One pattern for a list of stems, each matched where a word starts. The stems are folded
    like the text ("child" → "cild", "ребён" → "ребен"), so each is written once, as spoken."""
    return re.compile(r"(?<![^\W\d_])(?:" + _alternation(stems) + ")" + tail)


class _Patterns(NamedTuple):
    part: dict[Part, re.Pattern[str]]
    group: dict[str, re.Pattern[str]]
    short: dict[Part, re.Pattern[str]]
    repair: re.Pattern[str]
    new_question: re.Pattern[str]
    back_reference: re.Pattern[str]
    weak_fee: re.Pattern[str]
    also: re.Pattern[str]
    group_any: re.Pattern[str]
    may: re.Pattern[str]
    any_cue: re.Pattern[str]


@functools.cache
def _patterns() -> _Patterns:
    """The cue patterns, compiled on first use: compiling them all takes 40 ms, which every
    ``helpdesk ask`` paid at import (``bot.cards`` imports this module) though a one-question
    ask never reads a follow-up."""
    return _Patterns(
        part={part: cue(stems) for part, stems in PART_CUES.items()},
        group={group: cue(stems) for group, stems in GROUP_STEMS.items()},
        short={part: cue(stems) for part, stems in SHORT_CUES.items()},
        repair=cue(REPAIR_CUES),
        new_question=cue(NEW_QUESTION_CUES),
        back_reference=cue(BACK_REFERENCE_CUES),
        weak_fee=cue(WEAK_FEE_CUES),
        also=cue(stems("da= | de= | hem= | тоже | также | too= | also= | as well")),
        group_any=cue([stem for group in GROUP_STEMS.values() for stem in group]),
        may=cue(
            stems(
                "can | may | could | is it possible | allowed | olar | biler | mumkun | icaze | можно | "
                "может | могу | могут | вправе | разрешено"
            )
        ),
        any_cue=cue(
            [*REPAIR_CUES, *WEAK_FEE_CUES, *(s for stems in PART_CUES.values() for s in stems)], tail=r"\w*"
        ),
    )


def group_pattern(group: str) -> re.Pattern[str]:
    """The pattern of a group's words (a child, a pensioner …); a KeyError for an unknown group."""
    return _patterns().group[group]


def asked_part(text: str) -> Part | None:
    """The part of a card the message asks about, or None. A link beats "where" ("which site")."""
    folded, patterns = fold(text), _patterns()
    # "Can my son apply himself?", "Can I pay on behalf of another person?": who may, before what.
    if patterns.may.search(folded) and (patterns.group_any.search(folded) or patterns.also.search(folded)):
        return "eligibility"
    # "How long till it's paid?" asks for a time: a duration cue wins over a word about money.
    order: tuple[Part, ...] = ("link", "duration", "fee", "documents", "eligibility", "where")
    for part in order:
        if patterns.part[part].search(folded):
            return part
    if patterns.weak_fee.search(folded):
        return "fee"
    if len(tokens(text)) <= 2:
        for part, pattern in patterns.short.items():
            if pattern.search(folded):
                return part
    return None


def asked_group(text: str) -> str | None:
    """Whom an eligibility follow-up is about (child, pensioner, foreigner, disability, proxy)."""
    folded = fold(text)
    for group, pattern in _patterns().group.items():
        if pattern.search(folded):
            return group
    return None


def is_repair(text: str) -> bool:
    """ "That didn't help" / "не то" / "not what I asked": short, and saying the answer missed."""
    return len(tokens(text)) <= 10 and _patterns().repair.search(fold(text)) is not None


def opens_new_question(text: str) -> bool:
    """ "bir də soruşum…", "а ещё как получить…", "how do I get…": the message asks a question of
    its own, not for a part of the card in context."""
    return _patterns().new_question.search(fold(text)) is not None


def refers_back(text: str) -> bool:
    """ "…for that?", "bunun üçün…", "для этого…": the message is about the card in context."""
    return _patterns().back_reference.search(fold(text)) is not None


def typed_choice(text: str, count: int) -> int | None:
    """Which of ``count`` offered choices a typed answer names by position ("ikincisi", "2")."""
    words = tokens(text)
    if not 1 <= len(words) <= 4 or count <= 0:
        return None
    for word in words:
        if word in ORDINALS:
            index = ORDINALS[word]
            index = count - 1 if index < 0 else index
            return index if index < count else None
    return None


def content_words(text: str) -> list[str]:
    """The words of a message that could name a service: not cues, not filler."""
    folded = _patterns().any_cue.sub(" ", fold(text))
    return [w for w in tokens(folded) if w not in FILLER and not w.isdigit() and len(w) > 1]


def split_questions(text: str, most: int = 3) -> list[str]:
    """Several questions in one message, in order ("how do I get a passport and how much is it?");
    one message with one question comes back whole."""
    parts = [p.strip(" ,;") for p in _SECOND_QUESTION.split(text)]
    parts = [p for p in parts if tokens(p)]
    # "ok, and also how do I…": words before the "and" that ask nothing and name nothing ("ok",
    # "yaxşı", "ладно") are no question of their own; they go with the one after them.
    while len(parts) > 1 and not content_words(parts[0]) and asked_part(parts[0]) is None:
        parts[:2] = [f"{parts[0]} {parts[1]}"]
    if len(parts) <= 1:
        return [text]
    return parts[: most - 1] + [" ".join(parts[most - 1 :])] if len(parts) > most else parts
