import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bot.config import ConfigError, Settings
from bot.storage.sqlite import Store
from bot.telegram.app import build_dispatcher, build_webhook_app, check_token, make_bot
from bot.telegram.fake_server import FakeTelegram

GOOD_TOKEN = "123456:" + "A" * 35


def with_values(settings: Settings, **updates) -> Settings:
    """A validated copy (model_copy would skip validation of SecretStr fields)."""
    return Settings(_env_file=None, **{**settings.model_dump(), **updates})


@pytest.mark.parametrize(
    "token, message",
    [(None, "missing"), ("", "missing"), ("not-a-token", "malformed"), ("12:short", "malformed")],
)
def test_token_errors_are_one_line_and_never_echo_the_token(token, message):
    with pytest.raises(ConfigError) as info:
        check_token(Settings(_env_file=None, bot_token=token))
    text = str(info.value)
    assert text.startswith("HELPDESK_BOT_TOKEN: ") and message in text and "\n" not in text
    if token:
        assert token not in text


def test_good_token_passes():
    assert check_token(Settings(_env_file=None, bot_token=GOOD_TOKEN)) == GOOD_TOKEN


def test_webhook_needs_a_secret(tiny_settings, tiny_kb):
    settings = with_values(tiny_settings, bot_token=GOOD_TOKEN, webhook_url="https://bot.example.az/hook")
    with pytest.raises(ConfigError, match="HELPDESK_WEBHOOK_SECRET"):
        build_webhook_app(None, None, settings)


def test_bad_webhook_secret_characters_refused():
    with pytest.raises(Exception, match="webhook_secret"):
        Settings(_env_file=None, webhook_secret="has spaces!")


async def test_webhook_refuses_wrong_secret_and_serves_the_right_one(tiny_settings, tiny_kb, tmp_path):
    from bot.dialogue import Helpdesk
    from retrieval.embedders import HashingEmbedder
    from retrieval.index import build_index, save_index

    fake = await FakeTelegram().start()
    embedder = HashingEmbedder(64)
    save_index(build_index(tiny_kb, embedder), tiny_settings.index_dir)
    settings = with_values(
        tiny_settings,
        bot_token=GOOD_TOKEN,
        telegram_api_url=fake.base_url,
        webhook_url="https://bot.example.az/telegram/hook",
        webhook_secret="s3cret-token",
    )
    helpdesk = Helpdesk.from_settings(settings, embedder=embedder)
    store = Store(tmp_path / "h.sqlite3")
    bot = make_bot(settings)
    dp = build_dispatcher(helpdesk, store, settings)
    server = TestServer(build_webhook_app(dp, bot, settings), host="127.0.0.1")
    await server.start_server()
    update = {"update_id": 1, **fake.message_update(77, "Salam")}
    try:
        async with aiohttp.ClientSession() as http:
            url = str(server.make_url("/telegram/hook"))
            wrong = await http.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "guess"})
            missing = await http.post(url, json=update)
            assert wrong.status == 401 and missing.status == 401
            right = await http.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}
            )
            assert right.status == 200
        [sent] = await fake.wait_sent(77)
        assert "Salam" in sent.text
        assert len(fake.sent_to(77)) == 1  # refused requests had no effect
    finally:
        await server.close()
        await bot.session.close()
        store.close()
        await fake.stop()


async def test_the_bots_session_keeps_the_response_types_it_has_read():
    """pydantic holds aiogram's Response[...] generics weakly; collected, each was built anew on the
    next Bot API call (1.5 ms of the event loop). The bot's session holds the ones it used."""
    import gc

    from aiogram.methods import SetMyCommands
    from aiogram.methods.base import Response

    from bot.telegram.app import PinnedResponseSession

    bot = make_bot(Settings(_env_file=None, bot_token=GOOD_TOKEN))
    try:
        assert isinstance(bot.session, PinnedResponseSession)
        method = SetMyCommands(commands=[])
        answer = bot.session.check_response(bot, method, 200, '{"ok": true, "result": true}')
        assert answer.result is True
        pinned = PinnedResponseSession._pinned[method.__returning__]
        gc.collect()
        assert Response[method.__returning__] is pinned  # still built: no second build
    finally:
        await bot.session.close()
