import json
import logging
import socket

import aiohttp

from bot.ops.monitoring import JsonFormatter, Metrics, RedactingFilter, ops_app, setup_logging
from bot.storage.sqlite import Store

TOKEN = "123456:" + "S" * 35


def test_logs_are_json_and_redacted(capsys):
    setup_logging("INFO", [TOKEN], json_lines=True)
    log = logging.getLogger("helpdesk.test")
    log.info("citizen wrote %r with token %s", "FIN 5ZXK4PT, tel +994 50 123 45 67", TOKEN)
    try:
        raise RuntimeError(f"failed calling https://api.telegram.org/bot{TOKEN}/sendMessage")
    except RuntimeError:
        log.exception("send failed for %r", "a.b@mail.az")
    lines = [json.loads(line) for line in capsys.readouterr().err.strip().splitlines()]
    text = json.dumps(lines, ensure_ascii=False)
    assert lines[0]["level"] == "INFO" and lines[0]["logger"] == "helpdesk.test"
    for secret in (TOKEN, "5ZXK4PT", "123 45 67", "a.b@mail.az"):
        assert secret not in text
    assert "[SECRET]" in text and "[FIN]" in text and "exception" in lines[1]
    logging.getLogger().handlers.clear()


def test_metrics_render_prometheus_text():
    metrics = Metrics()
    metrics.count_message("in")
    metrics.observe_reply("answer", 0.03)
    metrics.observe_reply("handoff", 20)
    metrics.count_error()
    text = metrics.render(open_tickets=2, inbox={"failed": 3})
    assert 'helpdesk_messages_total{direction="in"} 1' in text
    assert 'helpdesk_replies_total{action="answer"} 1' in text
    assert 'helpdesk_reply_seconds_bucket{le="0.05"} 1' in text and 'le="+Inf"} 2' in text
    assert "helpdesk_open_tickets 2" in text and "helpdesk_errors_total 1" in text
    assert 'helpdesk_inbox_updates{state="failed"} 3' in text
    assert 'helpdesk_inbox_updates{state="received"} 0' in text


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_healthz_and_metrics_endpoints(tmp_path):
    from aiohttp import web

    store = Store(tmp_path / "h.sqlite3")
    from bot.storage.inbox import Inbox

    Inbox(store).record({"update_id": 5, "message": {}})  # one update waiting
    ready = {"ok": True}
    runner = web.AppRunner(ops_app(Metrics(), store, lambda: ready["ok"]))
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        async with aiohttp.ClientSession() as http:
            ok = await http.get(f"http://127.0.0.1:{port}/healthz")
            assert ok.status == 200 and (await ok.json()) == {"ok": True}
            page = await (await http.get(f"http://127.0.0.1:{port}/metrics")).text()
            assert "helpdesk_open_tickets 0" in page
            assert 'helpdesk_inbox_updates{state="received"} 1' in page
            ready["ok"] = False
            assert (await http.get(f"http://127.0.0.1:{port}/healthz")).status == 503
    finally:
        await runner.cleanup()
        store.close()


def test_filter_keeps_plain_messages():
    record = logging.LogRecord(
        "x", logging.INFO, "f", 1, "answered %r in %r ms", ("tax-debt-check", 12), None
    )
    RedactingFilter([]).filter(record)
    assert record.getMessage() == "answered 'tax-debt-check' in 12 ms"
    assert json.loads(JsonFormatter().format(record))["message"] == record.getMessage()
