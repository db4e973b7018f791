"""Links a citizen pastes: which sites they name, and whether each is an official one.

A citizen who pastes a link usually asks "is this the real site?"; the helpdesk answers that
before (or instead of) answering the rest of the message.
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

from knowledge.common import is_official_url

URL_PATTERN = re.compile(
    r"(?:https?://|www\.)[^\s<>\"']+|\b[\w-]+(?:\.[\w-]+)*\.(?:az|com|net|org|ru|info)\b[^\s<>\"']*",
    re.IGNORECASE,
)


def find_domains(text: str) -> list[str]:
    """Domains of the links pasted in a message, in order, without repeats."""
    seen: list[str] = []
    for match in URL_PATTERN.finditer(text):
        raw = match.group(0).rstrip(".,;:!?)")
        url = raw if raw.lower().startswith(("http://", "https://")) else "https://" + raw
        host = (urlparse(url).hostname or "").lower().removeprefix("www.")
        if host and host not in seen:
            seen.append(host)
    return seen


def domain_is_official(domain: str, official_domains: tuple[str, ...] | list[str]) -> bool:
    return is_official_url(f"https://{domain}", official_domains)
