"""Operations: structured JSON logs with redaction, and the /healthz and /metrics endpoints.

Every log record passes through :class:`RedactingFilter` (identifiers and the bot token removed)
before a handler writes it as one JSON line. Metrics are kept in-process and exposed in
Prometheus' text format on ``HELPDESK_METRICS_PORT`` (0 = off).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable

from aiohttp import web

from bot.redact import redact
from bot.storage.base import Store

LATENCY_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class RedactingFilter(logging.Filter):
    """Removes personal identifiers and any secret given (the token) from every log record."""

    def __init__(self, secrets: list[str] | None = None) -> None:
        super().__init__()
        self.secrets = [s for s in (secrets or []) if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        for secret in self.secrets:
            message = message.replace(secret, "[SECRET]")
        record.msg, record.args = redact(message), None
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            for secret in self.secrets:
                text = text.replace(secret, "[SECRET]")
            record.exc_text, record.exc_info = redact(text), None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(level: str, secrets: list[str], json_lines: bool = True) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(RedactingFilter(secrets))
    handler.setFormatter(
        JsonFormatter()
        if json_lines
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # aiohttp's access log would print request paths, which hold the token.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)


class Metrics:
    """Counters and a latency histogram, safe across threads."""

    def __init__(self, redis_up: Callable[[], int] | None = None) -> None:
        self._lock = threading.Lock()
        self.redis_up = redis_up  # with HELPDESK_REDIS_URL: 1 while Redis answers, 0 in an outage
        self.messages: Counter[str] = Counter()  # by direction
        self.actions: Counter[str] = Counter()  # by action
        self.errors = 0
        self.latency_counts = [0] * (len(LATENCY_BUCKETS) + 1)
        self.latency_sum = 0.0
        self.started = time.time()

    def observe_reply(self, action: str, seconds: float) -> None:
        with self._lock:
            self.actions[action] += 1
            self.latency_sum += seconds
            for number, bound in enumerate(LATENCY_BUCKETS):
                if seconds <= bound:
                    self.latency_counts[number] += 1
                    break
            else:
                self.latency_counts[-1] += 1

    def count_message(self, direction: str) -> None:
        with self._lock:
            self.messages[direction] += 1

    def count_error(self) -> None:
        with self._lock:
            self.errors += 1

    def render(self, open_tickets: int, inbox: dict[str, int] | None = None) -> str:
        with self._lock:
            lines = ["# TYPE helpdesk_messages_total counter"]
            lines += [
                f'helpdesk_messages_total{{direction="{d}"}} {n}' for d, n in sorted(self.messages.items())
            ]
            lines.append("# TYPE helpdesk_replies_total counter")
            lines += [f'helpdesk_replies_total{{action="{a}"}} {n}' for a, n in sorted(self.actions.items())]
            lines += [
                "# TYPE helpdesk_errors_total counter",
                f"helpdesk_errors_total {self.errors}",
                "# TYPE helpdesk_open_tickets gauge",
                f"helpdesk_open_tickets {open_tickets}",
                "# TYPE helpdesk_inbox_updates gauge",
            ]
            # received/handling pile up if the bot falls behind; failed ones were set aside.
            lines += [
                f'helpdesk_inbox_updates{{state="{state}"}} {(inbox or {}).get(state, 0)}'
                for state in ("received", "handling", "failed")
            ]
            lines.append("# TYPE helpdesk_reply_seconds histogram")
            cumulative = 0
            for bound, count in zip(LATENCY_BUCKETS, self.latency_counts):
                cumulative += count
                lines.append(f'helpdesk_reply_seconds_bucket{{le="{bound}"}} {cumulative}')
            total = cumulative + self.latency_counts[-1]
            lines += [
                f'helpdesk_reply_seconds_bucket{{le="+Inf"}} {total}',
                f"helpdesk_reply_seconds_sum {self.latency_sum:.6f}",
                f"helpdesk_reply_seconds_count {total}",
                "# TYPE helpdesk_uptime_seconds gauge",
                f"helpdesk_uptime_seconds {time.time() - self.started:.0f}",
            ]
            if self.redis_up is not None:
                lines += ["# TYPE helpdesk_redis_up gauge", f"helpdesk_redis_up {self.redis_up()}"]
        return "\n".join(lines) + "\n"


def ops_app(
    metrics: Metrics,
    store: Store,
    ready: Callable[[], object],
    degraded: Callable[[], list[str]] = list,
) -> web.Application:
    """``/healthz`` (200 when the store answers and the helpdesk is loaded) and ``/metrics``.

    ``degraded`` names what runs on per-process state for now (Redis down): still 200, since the
    bot answers, with ``"status": "degraded"`` for whoever watches.
    """

    async def healthz(_: web.Request) -> web.Response:
        try:
            store.ping()
            ok = bool(ready())
        except Exception:  # any failure is "not healthy", said plainly
            ok = False
        body: dict[str, object] = {"ok": ok}
        if ok and (falling_back := degraded()):
            body.update(status="degraded", degraded=falling_back)
        return web.json_response(body, status=200 if ok else 503)

    async def metrics_page(_: web.Request) -> web.Response:
        open_tickets = store.active_ticket_count()
        inbox = {state: n for state, n in store.inbox_counts().items() if state != "done"}
        return web.Response(text=metrics.render(open_tickets, inbox), content_type="text/plain")

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_page)
    return app
