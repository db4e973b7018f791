"""`helpdesk serve --workers N`: the refusal in polling mode, the supervising parent, and two real
webhook workers sharing a port — both answer, a /reload in one reaches the other, a dead one is
started again and SIGTERM stops them all."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import aiohttp
import pytest
from click.testing import CliRunner
from conftest import OPERATORS_CHAT, TINY_ARTICLES, article_text
from test_fault_workers import free_port, until

from bot.cli import main
from bot.telegram.fake_server import FakeTelegram
from bot.telegram.fake_webhook import WebhookPusher
from retrieval.embedders import HashingEmbedder
from retrieval.index import build_index, save_index

ROOT = Path(__file__).resolve().parents[1]
ADMIN = 4242


def test_long_polling_refuses_more_than_one_worker(tiny_settings, monkeypatch):
    monkeypatch.setenv("HELPDESK_BOT_TOKEN", "123456:" + "A" * 35)
    result = CliRunner().invoke(main, ["serve", "--workers", "2"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "error: HELPDESK_WORKERS: 2 workers need webhook mode (set HELPDESK_WEBHOOK_URL); long polling takes one"
    ]


def test_many_workers_need_a_webhook_secret(tiny_settings, monkeypatch):
    monkeypatch.setenv("HELPDESK_BOT_TOKEN", "123456:" + "A" * 35)
    monkeypatch.setenv("HELPDESK_WEBHOOK_URL", "https://helpdesk.example/telegram")
    monkeypatch.setenv("HELPDESK_WORKERS", "3")
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 2 and "HELPDESK_WEBHOOK_SECRET" in result.output


def children(pid: int) -> set[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return {int(p) for p in text.split()}


def wait_for(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_the_supervisor_starts_again_a_dead_worker_and_stops_all_on_sigterm(tmp_path):
    # The workers here are plain sleepers; what is tested is the parent.
    script = textwrap.dedent(
        """
        import logging, sys
        from bot.ops.workers import Supervisor
        logging.basicConfig(level=logging.INFO)
        sleeper = [sys.executable, "-c", "import time; time.sleep(600)"]
        sys.exit(Supervisor(3, lambda i: sleeper, grace_seconds=5, settle_seconds=0.2).run(poll_seconds=0.05))
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=str(ROOT), stderr=subprocess.PIPE)
    try:
        wait_for(lambda: len(children(parent.pid)) == 3)
        first = children(parent.pid)
        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        wait_for(lambda: len(children(parent.pid)) == 3 and victim not in children(parent.pid))
        after = children(parent.pid)
        assert len(after - first) == 1  # only the dead one was replaced
        parent.send_signal(signal.SIGTERM)
        assert parent.wait(timeout=20) == 0
        log = parent.stderr.read().decode()
        assert "exited with -9" in log and "all 3 workers stopped" in log
        for pid in after:  # every worker is gone (reaped by the parent)
            assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()
    finally:
        if parent.poll() is None:
            parent.kill()


def edit_passport(articles_dir: Path, title: str) -> None:
    sector, langs = TINY_ARTICLES["passport"]
    edited = dict(langs, en=(title, "passport renewal", "Renew it at ASAN."))
    (articles_dir / sector / "passport.md").write_text(
        article_text("passport", sector, edited), encoding="utf-8"
    )


async def replies_counted(port: int) -> int:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}/metrics") as response,
    ):
        page = await response.text()
    return sum(int(n) for n in re.findall(r"^helpdesk_replies_total\{[^}]*\} (\d+)$", page, re.M))


@pytest.mark.slow
async def test_two_workers_share_the_port_and_follow_one_reload(tiny_settings, tiny_kb):
    save_index(build_index(tiny_kb, HashingEmbedder(256)), tiny_settings.index_dir)
    fake = await FakeTelegram().start()
    port, metrics_port = free_port(), free_port()
    url, secret = f"http://127.0.0.1:{port}/telegram", "workers-test-secret"
    env = {
        **os.environ,
        "HELPDESK_BOT_TOKEN": fake.token,
        "HELPDESK_TELEGRAM_API_URL": fake.base_url,
        "HELPDESK_OPERATORS_CHAT_ID": str(OPERATORS_CHAT),
        "HELPDESK_ADMIN_IDS": f"[{ADMIN}]",
        "HELPDESK_KB_WATCH_SECONDS": "0",
        "HELPDESK_ANSWER_CACHE_SIZE": "0",
        "HELPDESK_DENSE_FLOOR": "0",
        "HELPDESK_DENSE_CEILING": "1",
        "HELPDESK_WEBHOOK_URL": url,
        "HELPDESK_WEBHOOK_SECRET": secret,
        "HELPDESK_WEBHOOK_HOST": "127.0.0.1",
        "HELPDESK_WEBHOOK_PORT": str(port),
        "HELPDESK_METRICS_PORT": str(metrics_port),  # worker 1 takes the next one
        "HELPDESK_WORKER_CHECK_SECONDS": "0.3",
    }
    parent = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "serve",
        "--workers",
        "2",
        "--log-level",
        "WARNING",
        env=env,
        cwd=str(ROOT),
    )
    pusher = await WebhookPusher(fake, url, secret, new_connections=True).start()
    try:
        # Each worker's dispatcher sets the commands at start; worker 0 then registers the webhook
        # (its own start-up step, which can come after the other worker's commands).
        await until(lambda: fake.calls["setMyCommands"] >= 2 and fake.calls["setWebhook"] >= 1, 120)
        await asyncio.sleep(1.0)  # a second registration, were there one, would be here by now
        assert fake.calls["setWebhook"] == 1  # only worker 0 registers the webhook

        async def ask_everyone(first_user: int, count: int = 16) -> list[str]:
            users = range(first_user, first_user + count)
            for user in users:
                await fake.send_text(user, "How do I renew a passport quickly?")
            await until(lambda: all(fake.sent_to(u) for u in users), 60)
            return [fake.sent_to(u)[0].text for u in users]

        before = [await replies_counted(metrics_port + i) for i in (0, 1)]
        answers = await ask_everyone(90_000)
        assert not any("Renewed in one visit" in a for a in answers)
        # Both workers answered: the connections were spread over the two.
        between = [await replies_counted(metrics_port + i) for i in (0, 1)]
        assert all(b > a for a, b in zip(before, between)), (before, between)

        edit_passport(tiny_settings.articles_dir, "Renewed in one visit?")
        await fake.send_text(ADMIN, "/reload", chat_id=OPERATORS_CHAT, chat_type="supergroup")
        await until(lambda: any("reloaded" in s.text for s in fake.sent_to(OPERATORS_CHAT)), 60)
        await asyncio.sleep(1.5)  # a few of the followers' checks
        answers = await ask_everyone(91_000)
        after = [await replies_counted(metrics_port + i) for i in (0, 1)]
        assert all(b > a for a, b in zip(between, after)), (between, after)
        assert all("Renewed in one visit" in a for a in answers), answers  # whichever worker answered

        # A worker that dies is started again; SIGTERM stops the parent and every worker.
        first = children(parent.pid)
        assert len(first) == 2
        os.kill(max(first), signal.SIGKILL)
        await until(lambda: len(children(parent.pid)) == 2 and max(first) not in children(parent.pid), 30)
        await until(lambda: fake.calls["setMyCommands"] >= 3, 120)  # the new one is serving
        answers = await ask_everyone(92_000)
        assert all("Renewed in one visit" in a for a in answers)  # it loaded the reloaded index
        parent.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(parent.wait(), 30) == 0
    finally:
        await pusher.stop()
        if parent.returncode is None:
            parent.kill()
            await parent.wait()
        await fake.stop()


@pytest.mark.slow
async def test_a_failing_set_webhook_does_not_stop_the_bot(tiny_settings, tiny_kb):
    """An unexpected Bot API error at start-up (setWebhook answering 500) is logged; the worker
    goes on serving the webhook Telegram already has."""
    save_index(build_index(tiny_kb, HashingEmbedder(256)), tiny_settings.index_dir)
    fake = await FakeTelegram().start()
    fake.broken["setWebhook"] = [500]
    port = free_port()
    url, secret = f"http://127.0.0.1:{port}/telegram", "workers-test-secret"
    env = {
        **os.environ,
        "HELPDESK_BOT_TOKEN": fake.token,
        "HELPDESK_TELEGRAM_API_URL": fake.base_url,
        "HELPDESK_KB_WATCH_SECONDS": "0",
        "HELPDESK_WEBHOOK_URL": url,
        "HELPDESK_WEBHOOK_SECRET": secret,
        "HELPDESK_WEBHOOK_HOST": "127.0.0.1",
        "HELPDESK_WEBHOOK_PORT": str(port),
    }
    served = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "serve", env=env, cwd=str(ROOT), stderr=asyncio.subprocess.PIPE
    )
    pusher = await WebhookPusher(fake, url, secret).start()
    try:
        await until(lambda: fake.calls["setWebhook"] == 1 and fake.calls["setMyCommands"] == 1, 120)
        await fake.send_text(93_000, "How do I renew a passport quickly?")
        await fake.wait_sent(93_000, 1, timeout=60)
        assert served.returncode is None
        served.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(served.wait(), 30) == 0
        log = (await served.stderr.read()).decode()
        assert "setWebhook failed, serving on" in log
    finally:
        await pusher.stop()
        if served.returncode is None:
            served.kill()
            await served.wait()
        await fake.stop()


def test_each_worker_gets_its_own_ports_and_only_the_first_watches_and_serves_the_console(tiny_settings):
    from bot.telegram.app import worker_settings

    settings = tiny_settings.model_copy(
        update={"workers": 3, "metrics_port": 9090, "console_port": 8081, "kb_watch_seconds": 30}
    )
    first, third = worker_settings(settings, 0), worker_settings(settings, 2)
    assert (first.metrics_port, first.console_port, first.kb_watch_seconds) == (9090, 8081, 30)
    assert (third.metrics_port, third.console_port, third.kb_watch_seconds) == (9092, None, 0)
    alone = tiny_settings.model_copy(update={"metrics_port": 9090})
    assert worker_settings(alone, 0) is alone
