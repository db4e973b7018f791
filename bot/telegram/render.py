"""Turn a :class:`Reply` into Telegram HTML, split safely under the 4096-character limit."""

from __future__ import annotations

import html
import re
from urllib.parse import urlparse

from bot.dialogue import Reply
from knowledge.loader import is_official_url

TELEGRAM_LIMIT = 4096
# Room for the tags we add and for Telegram counting some characters as two.
SAFE_LIMIT = 3500
_URL = re.compile(
    r"(?:https?://|www\.)[^\s<>\"']+|\b[\w-]+(?:\.[\w-]+)*\.(?:az|com|net|org|ru|info)\b[^\s<>\"']*",
    re.IGNORECASE,
)


def reply_html(reply: Reply) -> str:
    """The answer as HTML: the first line (the card's title) bold, everything escaped."""
    text = reply.answer
    if reply.action == "answer":
        title, _, rest = text.partition("\n")
        return f"<b>{html.escape(title)}</b>\n{html.escape(rest)}"
    return html.escape(text)


def split_message(text: str, limit: int = SAFE_LIMIT) -> list[str]:
    """Split on paragraph, then line, then word boundaries; never inside an HTML tag or entity."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = max(rest.rfind("\n\n", 0, limit), rest.rfind("\n", 0, limit), rest.rfind(" ", 0, limit))
        if cut <= limit // 2:
            cut = limit
        # Never cut inside a tag ("<b>") or an entity ("&amp;").
        for opener, closer in (("<", ">"), ("&", ";")):
            start = rest.rfind(opener, 0, cut)
            if start != -1 and rest.find(closer, start) >= cut:
                cut = start
        chunk = rest[:cut]
        # Keep bold balanced across the cut.
        if chunk.count("<b>") > chunk.count("</b>"):
            chunk += "</b>"
            rest = "<b>" + rest[cut:].lstrip()
        else:
            rest = rest[cut:].lstrip()
        parts.append(chunk)
    if rest:
        parts.append(rest)
    return parts


def find_domains(text: str) -> list[str]:
    """Domains of the links pasted in a message, in order, without repeats."""
    seen: list[str] = []
    for match in _URL.finditer(text):
        raw = match.group(0).rstrip(".,;:!?)")
        url = raw if raw.lower().startswith(("http://", "https://")) else "https://" + raw
        host = (urlparse(url).hostname or "").lower().removeprefix("www.")
        if host and host not in seen:
            seen.append(host)
    return seen


def domain_is_official(domain: str, official_domains) -> bool:
    return is_official_url(f"https://{domain}", official_domains)
