"""The Telegram HTML renderer lives in :mod:`bot.render` (Telegram-free, so the staff console's card
preview uses the very same function); the Telegram layer imports it from here as before."""

from bot.render import SAFE_LIMIT, TELEGRAM_LIMIT, reply_html, split_message

__all__ = ["SAFE_LIMIT", "TELEGRAM_LIMIT", "reply_html", "split_message"]
