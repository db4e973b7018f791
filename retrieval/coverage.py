"""How much of a question an article's own words cover: one piece of the answerability check.

A near miss often scores well on a few shared words ("register", "card") while the words that
name the service ("military", "apostille") are nowhere in the article. The share of the
question's content words that the article (or a directory entry for its topic) contains tells
such a miss from a hit. Words are folded and matched by their first ``prefix_len`` letters, so
Azerbaijani and Russian endings do not matter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from knowledge.loader import KnowledgeBase
from retrieval.normalize import tokens

# Words that say nothing of which service is meant (folded forms; az, ru, en).
_GENERIC = frozenset(
    """
nece necə nede harada harda hara hansi hansı neyi nedir nədir olar olur lazim lazımdır lazimdir
ucun üçün etmek etmeli etmək istəyirəm isteyirem isteyirem bilerem bilərəm bilmirem mene menim
mənə mənim sizin bizim bunu onun onlayn online elektron xidmet xidmət xidməti xidmeti almaq
elemek eləmək qeydiyyat necedir haqqinda haqqında
как где какие какой какая когда можно нужно нужен нужна надо сделать получить оформить хочу
мне меня мой моя мои через онлайн электронно электронный услуга услуги справка
how where what which when can could should need want get do does make apply online the for
with from about your have this that there please service services
""".split()
)


@dataclass
class TermCoverage:
    kb: KnowledgeBase
    prefix_len: int = 5
    min_len: int = 3
    # Reads a mistyped word as the known word it was meant to be (None: as typed); see retrieval.spelling.
    correct: Callable[[str], str | None] | None = None
    _terms: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)
    _service_terms: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.prefix_len < 3 or self.min_len < 1:
            raise ValueError("prefix_len must be >= 3 and min_len >= 1")
        self._generic = frozenset(self._key(t) for word in _GENERIC for t in tokens(word))
        # A topic's words are read the first time a question meets it: reading them all up front
        # was most of loading a 10,000-article knowledge base (2.7 s), and a question meets few.
        self._extra: dict[str, list[str]] = {}
        for entry in self.kb.directory.entries:
            if entry.topic:
                self._extra.setdefault(entry.topic, []).append(entry.search_text())
        self._articles = {article.topic: article for article in self.kb.articles}

    def terms(self, topic: str) -> frozenset[str] | None:
        """The keys of every word of the topic's article and its directory entries (None: no article)."""
        found = self._terms.get(topic)
        if found is None and topic in self._articles:
            text = "\n".join([self._articles[topic].search_text(), *self._extra.get(topic, [])])
            found = self._terms[topic] = frozenset(self._key(w) for w in tokens(text))
        return found

    def _key(self, word: str) -> str:
        return word[: self.prefix_len]

    def content_words(self, query: str) -> list[str]:
        words = tokens(query)
        if self.correct is not None:
            words = [self.correct(w) or w for w in words]
        return [
            self._key(w)
            for w in words
            if len(w) >= self.min_len and not w.isdigit() and self._key(w) not in self._generic
        ]

    def service_terms(self, service: str) -> frozenset[str] | None:
        """The keys of every word of a directory entry (None: no such entry)."""
        found = self._service_terms.get(service)
        if found is None:
            entry = self.kb.directory.by_id.get(service)
            if entry is None:
                return None
            found = frozenset(self._key(w) for w in tokens(entry.search_text()))
            self._service_terms[service] = found
        return found

    def service_coverage(self, query: str, service: str) -> float:
        """Share of the question's content words in a directory entry (1.0 when it has none)."""
        return self._share(query, self.service_terms, service)

    def coverage(self, query: str, topic: str) -> float:
        """Share of the question's content words in the topic's article (1.0 when it has none)."""
        return self._share(query, self.terms, topic)

    def _share(self, query: str, terms_of: Callable[[str], frozenset[str] | None], name: str) -> float:
        words = self.content_words(query)
        terms = terms_of(name) if words else None
        if terms is None:
            return 1.0
        return sum(w in terms for w in words) / len(words)
