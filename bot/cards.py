"""Service cards and referrals as plain text, in the citizen's language.

The same renderer serves the Telegram bot (which adds HTML), the terminal chat, ``helpdesk ask``
and the staff console's preview, so a card reads the same everywhere.
"""

from __future__ import annotations

from bot.followups import Part, group_pattern
from bot.texts import t
from knowledge.directory import ServiceEntry
from knowledge.loader import LANGS, Article
from retrieval.normalize import fold


def render_card(article: Article, lang: str) -> str:
    """A service card in plain text: title, steps, then documents, fee, time, where, agency."""
    lang = lang if lang in LANGS else "az"
    section = article.sections[lang]
    lines = [section.title, "", section.body, ""]
    documents = article.documents.get(lang) or []
    if documents:
        lines.append(f"{t('documents', lang)}: " + "; ".join(documents))
    if article.fee:
        lines.append(f"{t('fee', lang)}: {article.fee[lang]}")
    if article.duration:
        lines.append(f"{t('duration', lang)}: {article.duration[lang]}")
    lines.append(f"{t('where', lang)}: {t('channel_' + article.channel, lang)}")
    lines.append(f"{t('agency', lang)}: {article.agency[lang]}")
    return "\n".join(lines).strip()


def render_referral(name: str, agency: str, channel: str, lang: str) -> str:
    """A ``refer`` reply: no guide yet, the service, the agency, where it is done, the link."""
    lang = lang if lang in LANGS else "az"
    return "\n".join(
        [
            f"{t('refer_intro', lang)} {name}",
            f"{t('agency', lang)}: {agency}",
            f"{t('where', lang)}: {t('service_channel_' + channel, lang)}",
            "",
            t("refer_where", lang),
        ]
    )


def service_referral(entry: ServiceEntry, lang: str) -> tuple[str, list[dict[str, str]]]:
    lang = lang if lang in LANGS else "az"
    text = render_referral(entry.name[lang], entry.agency[lang], entry.channel, lang)
    return text, [{"title": entry.name[lang], "url": entry.url}]


def article_referral(article: Article, lang: str) -> tuple[str, list[dict[str, str]]]:
    """A draft article under the ``refer`` draft policy: named like a directory service."""
    lang = lang if lang in LANGS else "az"
    channel = {"both": "online", "asan": "asan", "online": "online"}.get(article.channel, "office")
    return (
        render_referral(article.title[lang], article.agency[lang], channel, lang),
        article_links(article, lang),
    )


def article_links(article: Article, lang: str) -> list[dict[str, str]]:
    lang = lang if lang in LANGS else "az"
    return [{"title": link.title[lang], "url": link.url} for link in article.links]


def card_part(article: Article, part: Part, lang: str, group: str | None = None) -> str:
    """One part of a card, from the card's own fields; when the card does not state it, say so."""
    not_stated = t("part_not_stated", lang).format(what=t(f"part_{part}", lang))
    if part == "fee":
        return f"{t('fee', lang)}: {article.fee[lang]}" if article.fee else not_stated
    if part == "duration":
        return f"{t('duration', lang)}: {article.duration[lang]}" if article.duration else not_stated
    if part == "documents":
        documents = article.documents.get(lang) or []
        return (
            f"{t('documents', lang)}:\n" + "\n".join(f"• {d}" for d in documents) if documents else not_stated
        )
    if part == "where":
        return "\n".join(
            [
                f"{t('where', lang)}: {t('channel_' + article.channel, lang)}",
                f"{t('agency', lang)}: {article.agency[lang]}",
            ]
        )
    if part == "link":
        return "\n".join(f"{link.title[lang]}: {link.url}" for link in article.links) or not_stated
    lines = _lines_about(article, lang, group)
    return "\n".join(lines) if lines else not_stated


def _lines_about(article: Article, lang: str, group: str | None) -> list[str]:
    """The lines of the card's steps that name the group (a child, a pensioner …)."""
    if group is None:
        return []
    pattern = group_pattern(group)
    body = article.sections[lang].body
    return [line.strip() for line in body.splitlines() if line.strip() and pattern.search(fold(line))][:4]
