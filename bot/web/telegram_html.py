"""Show the bot's Telegram HTML inside a page: only the tags Telegram itself would draw survive.

The renderer (:func:`bot.render.reply_html`) already escapes every text; this second pass is the
page's own guarantee, so a future change there can never put a script or an attribute on a page.
"""

from __future__ import annotations

import html
from html.parser import HTMLParser

from markupsafe import Markup

# The part of Telegram's HTML subset that a card uses: bold, italic, links.
_PLAIN_TAGS = {"b": "b", "strong": "b", "i": "i", "em": "i", "code": "code"}
_SAFE_SCHEMES = ("https://", "http://", "tg://")


class _Subset(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _PLAIN_TAGS:
            self.out.append(f"<{_PLAIN_TAGS[tag]}>")
            self.open.append(_PLAIN_TAGS[tag])
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            if href.startswith(_SAFE_SCHEMES):
                self.out.append(f'<a href="{html.escape(href, quote=True)}" rel="noopener noreferrer">')
                self.open.append("a")

    def handle_endtag(self, tag: str) -> None:
        name = _PLAIN_TAGS.get(tag, tag)
        if name in self.open:
            # Close what was opened after it too, so the output stays balanced.
            while self.open:
                last = self.open.pop()
                self.out.append(f"</{last}>")
                if last == name:
                    break

    def handle_data(self, data: str) -> None:
        self.out.append(html.escape(data, quote=False))


def telegram_subset(telegram_html: str) -> Markup:
    """``telegram_html`` with every tag but b/i/code/a(href) dropped and all text escaped."""
    parser = _Subset()
    parser.feed(telegram_html)
    parser.close()
    parser.out.extend(f"</{tag}>" for tag in reversed(parser.open))
    return Markup("".join(parser.out))
