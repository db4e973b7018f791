"""Shared by the fault tests (test_fault.py, test_fault_workers.py): what a citizen got from the
loopback Bot API server."""

from __future__ import annotations

from bot.telegram.fake_server import FakeTelegram


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
