"""Turn a :class:`Reply` into Telegram HTML, split safely under the 4096-character limit.

Telegram-free: the bot sends this HTML and the staff console previews it, from one function.
"""

from __future__ import annotations

import html

from bot.dialogue import Reply

TELEGRAM_LIMIT = 4096
# Room for the tags we add and for Telegram counting some characters as two.
SAFE_LIMIT = 3500


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
