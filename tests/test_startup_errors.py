"""A Bot API call that fails in an unexpected way at start-up is logged; the citizens are served."""

import logging

import pytest
from tiny_bot import tiny_harness

from bot.telegram.fake_server import FakeTelegram


@pytest.mark.parametrize(
    "spoil",
    [
        lambda fake: fake.garbage["getChat"].append('{"ok": true, "result": {"id": "not a chat"}}'),
        lambda fake: fake.garbage["getChat"].append("<html>502 Bad Gateway</html>"),
        lambda fake: fake.broken["getChat"].append(500),
    ],
    ids=["unparsable-chat", "not-json", "http-500"],
)
async def test_a_bad_get_chat_answer_at_start_is_logged_and_the_bot_serves(tiny_settings, spoil, caplog):
    fake = await FakeTelegram().start()
    spoil(fake)
    harness = tiny_harness(fake, tiny_settings)
    caplog.set_level(logging.ERROR, logger="bot.telegram.relay")
    try:
        await harness.start()
        await fake.send_text(41, "Salam")
        [sent] = await fake.wait_sent(41, timeout=15)
        assert sent.text  # the greeting came: start-up went on past the broken getChat
        assert fake.calls["getChat"] >= 1
        assert any("operators' chat" in r.getMessage() for r in caplog.records)
        assert not harness.task.done()
    finally:
        await harness.stop()
        await fake.stop()
