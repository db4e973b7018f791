import asyncio

import pytest
from conftest import OPERATORS_CHAT, TINY_ARTICLES, article_text

from bot.config import Settings
from bot.dialogue import Helpdesk
from bot.ops.reload import articles_signature
from bot.storage.sqlite import Store
from bot.telegram.app import build_dispatcher, make_bot
from bot.telegram.fake_server import FakeTelegram
from retrieval.embedders import HashingEmbedder
from retrieval.index import build_index, save_index

ADMIN, OPERATOR = 4242, 9001


@pytest.fixture
async def tiny_bot(tiny_settings, tiny_kb, tmp_path):
    fake = await FakeTelegram().start()
    embedder = HashingEmbedder(64)
    save_index(build_index(tiny_kb, embedder), tiny_settings.index_dir)
    settings = Settings(
        _env_file=None,
        **{
            **tiny_settings.model_dump(),
            "bot_token": fake.token,
            "telegram_api_url": fake.base_url,
            "operators_chat_id": OPERATORS_CHAT,
            "admin_ids": [ADMIN],
            "dense_floor": 0.0,
            "dense_ceiling": 1.0,
            "answer_threshold": 0.3,
            "clarify_threshold": 0.2,
        },
    )
    helpdesk = Helpdesk.from_settings(settings, embedder=embedder)
    store = Store(tmp_path / "h.sqlite3")
    bot = make_bot(settings)
    dp = build_dispatcher(helpdesk, store, settings)
    yield fake, bot, dp, settings
    await bot.session.close()
    store.close()
    await fake.stop()


def edit_passport(settings, text="How do I renew a passport quickly?"):
    sector, langs = TINY_ARTICLES["passport"]
    edited = dict(langs, en=(text, "passport renewal", "Renew it at ASAN."))
    (settings.articles_dir / sector / "passport.md").write_text(
        article_text("passport", sector, edited), encoding="utf-8"
    )


async def test_reload_swaps_to_the_edited_knowledge_base(tiny_bot):
    fake, bot, dp, settings = tiny_bot
    old = dp.workflow_data["helpdesk_ref"].current
    edit_passport(settings)
    outcome = await dp.workflow_data["reloader"].reload(actor=ADMIN)
    assert outcome.ok and "1 changed" in outcome.message
    new = dp.workflow_data["helpdesk_ref"].current
    assert new is not old and new.kb.by_topic["passport"].title["en"] == "How do I renew a passport quickly?"
    assert dp.workflow_data["handoff"].helpdesk is new
    assert old.kb.by_topic["passport"].title["en"] == "How do I get a passport?"  # old object untouched


async def test_reload_rebuilds_an_index_of_the_older_format(tiny_bot):
    import json

    fake, bot, dp, settings = tiny_bot
    meta_path = settings.index_dir / "meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta_path.write_text(json.dumps(dict(meta, format=2)), encoding="utf-8")  # KB unchanged
    outcome = await dp.workflow_data["reloader"].reload(actor=ADMIN)
    # rebuilt (not "nothing changed in the index"), with every vector reused
    assert outcome.ok and "0 new; 0 changed; 0 removed; 4 unchanged; 0 passages embedded" in outcome.message
    assert json.loads(meta_path.read_text(encoding="utf-8"))["format"] != 2


async def test_broken_build_keeps_the_old_one_serving(tiny_bot):
    fake, bot, dp, settings = tiny_bot
    old = dp.workflow_data["helpdesk_ref"].current
    (settings.articles_dir / "taxes" / "tax-debt-check.md").write_text("---\nid: [oops\n---\n")
    outcome = await dp.workflow_data["reloader"].reload(actor=ADMIN)
    assert not outcome.ok and "tax-debt-check.md" in outcome.message and "previous version" in outcome.message
    assert dp.workflow_data["helpdesk_ref"].current is old
    assert old.reply("vergi borcu").topic == "tax-debt-check"


async def test_questions_during_a_reload_are_always_answered(tiny_bot):
    fake, bot, dp, settings = tiny_bot
    edit_passport(settings)
    answers = []

    async def ask_repeatedly():
        for _ in range(30):
            helpdesk = dp.workflow_data["helpdesk_ref"].current  # what a handler gets for a new update
            reply = await helpdesk.areply("vergi borcu")
            answers.append(reply)
            await asyncio.sleep(0)

    reload = asyncio.create_task(dp.workflow_data["reloader"].reload(actor=ADMIN))
    await asyncio.gather(ask_repeatedly(), ask_repeatedly())
    assert (await reload).ok
    assert len(answers) == 60 and all(r.topic == "tax-debt-check" for r in answers)


async def test_reload_command_is_for_admins_only(tiny_bot):
    fake, bot, dp, settings = tiny_bot
    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=1))
    try:
        old = dp.workflow_data["helpdesk_ref"].current
        edit_passport(settings)
        await fake.push(
            fake.message_update(OPERATOR, "/reload", chat_id=OPERATORS_CHAT, chat_type="supergroup")
        )
        [refused] = await fake.wait_sent(OPERATORS_CHAT, 1, timeout=10)
        assert "admins" in refused.text and dp.workflow_data["helpdesk_ref"].current is old
        await fake.push(fake.message_update(ADMIN, "/reload", chat_id=OPERATORS_CHAT, chat_type="supergroup"))
        sent = await fake.wait_sent(OPERATORS_CHAT, 3, timeout=90)  # the rebuild aside: slow when loaded
        assert sent[-1].text.startswith("✅ reloaded") and dp.workflow_data["helpdesk_ref"].current is not old
        # a citizen's /reload is just a message to the helpdesk, never a reload
        await fake.send_text(555, "/reload")
        await fake.wait_sent(555, 1, timeout=10)
        store = dp.workflow_data["store"]
        assert [a["actor_id"] for a in store.audit_log() if a["action"] == "reload"] == [ADMIN]
    finally:
        await dp.stop_polling()
        await asyncio.wait_for(polling, 10)


async def test_file_watch_reloads_on_save(tiny_bot):
    fake, bot, dp, settings = tiny_bot
    reloader = dp.workflow_data["reloader"]
    watch = asyncio.create_task(reloader.watch(bot, every=0.1))
    try:
        edit_passport(settings, "Watched title?")
        for _ in range(1800):  # up to 90 s: the rebuild aside is slow on a loaded machine
            if (
                dp.workflow_data["helpdesk_ref"].current.kb.by_topic["passport"].title["en"]
                == "Watched title?"
            ):
                break
            await asyncio.sleep(0.05)
        assert (
            dp.workflow_data["helpdesk_ref"].current.kb.by_topic["passport"].title["en"] == "Watched title?"
        )
        notice = await fake.wait_sent(OPERATORS_CHAT, 1, timeout=10)
        assert "reloaded" in notice[0].text
        assert reloader.signature == articles_signature(settings.articles_dir)
    finally:
        watch.cancel()


async def test_another_worker_follows_the_published_version(tiny_bot):
    """Two workers on one database: one reloads and publishes; the other loads what it saved."""
    from bot.ops.reload import Reloader
    from bot.serving import HelpdeskRef

    fake, bot, dp, settings = tiny_bot
    store, reloader = dp.workflow_data["store"], dp.workflow_data["reloader"]
    other = Reloader(settings, HelpdeskRef(dp.workflow_data["helpdesk_ref"].current), store)
    assert not await other.follow_once()  # nothing published yet
    edit_passport(settings, "Followed title?")
    assert (await reloader.reload(actor=ADMIN)).ok
    assert store.published_version() == reloader.version != other.version
    assert await other.follow_once()
    assert other.version == reloader.version
    assert other.current.kb.by_topic["passport"].title["en"] == "Followed title?"
    assert not await other.follow_once()  # already serving it
