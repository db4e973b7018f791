"""Shared by the fault tests (test_fault.py, test_fault_workers.py): what a citizen got from the
loopback Bot API server."""

from __future__ import annotations

import os

from bot.telegram.fake_server import FakeTelegram

# What the citizens of the fault tests write: questions of the tiny knowledge base in three
# languages, a request for a person, and thanks.
QUESTIONS = [
    "vergi borcumu necə yoxlayım?",
    "как оплатить налог онлайн?",
    "my ID card expired",
    "pasport almaq üçün nə lazımdır",
    "şəxsiyyət vəsiqəsi itib",
    "how do I pay tax online",
]
HANDOFF = "canlı operatorla danışmaq istəyirəm"
THANKS = "çox sağ olun"


def served_env(fake: FakeTelegram, operators_chat: int, **settings: str) -> dict[str, str]:
    """The environment of a `helpdesk serve` process under a fault test: the loopback Bot API
    server, operators on duty at any hour, no file watch, no reply cache (every update does its
    work), plus ``settings`` (HELPDESK_… names) for the backend and the mode."""
    return {
        **os.environ,
        "HELPDESK_BOT_TOKEN": fake.token,
        "HELPDESK_TELEGRAM_API_URL": fake.base_url,
        "HELPDESK_OPERATORS_CHAT_ID": str(operators_chat),
        "HELPDESK_WORK_WEEKDAYS": "0-6",
        "HELPDESK_WORK_START": "00:00",
        "HELPDESK_WORK_END": "23:59:59",
        "HELPDESK_KB_WATCH_SECONDS": "0",
        "HELPDESK_ANSWER_CACHE_SIZE": "0",
        **settings,
    }


def replies(fake: FakeTelegram, user: int) -> list:
    return fake.sent_to(user, ("sendMessage",))


def seen(fake: FakeTelegram, user: int) -> list[str]:
    """What a citizen saw, for a failure message."""
    return [sent.text[:70] for sent in replies(fake, user)]


def consent_button(fake: FakeTelegram, user: int) -> str | None:
    """The callback data of the latest "yes, pass it on" button the citizen was shown."""
    for sent in reversed(replies(fake, user)):
        for button in sent.buttons():
            data = button.get("callback_data", "")
            if data.startswith("h:") and data.endswith(":1"):
                return data
    return None
