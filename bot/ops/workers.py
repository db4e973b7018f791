"""``helpdesk serve --workers N``: a parent process that keeps N webhook workers running.

Each worker is a whole ``helpdesk serve --worker-index I`` process: it loads the read-only index
and intent model itself and listens on the shared port (SO_REUSEPORT), so the kernel spreads
Telegram's connections over them. The parent only starts them, starts again one that dies
(sooner or later: a worker that dies right after starting waits longer each time, so a broken
setting does not spin), and on SIGTERM or SIGINT stops them all, gracefully first.
What a dead worker was handling is taken over by the live ones through the inbox's leases.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType

log = logging.getLogger(__name__)


@dataclass
class Worker:
    index: int
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    failures: int = 0  # deaths in a row soon after starting
    start_after: float = 0.0


class Supervisor:
    """Starts ``count`` processes of ``command(index)`` and keeps them running until stopped."""

    def __init__(
        self,
        count: int,
        command: Callable[[int], list[str]],
        *,
        grace_seconds: float = 20.0,
        settle_seconds: float = 10.0,
        max_delay: float = 30.0,
    ) -> None:
        if count < 1:
            raise ValueError("count must be at least 1")
        self.command, self.grace_seconds = command, grace_seconds
        self.settle_seconds, self.max_delay = settle_seconds, max_delay
        self.workers = [Worker(i) for i in range(count)]
        self.stopping = False
        self.restarts = 0

    def _start(self, worker: Worker) -> None:
        worker.process = subprocess.Popen(self.command(worker.index))
        worker.started_at = time.monotonic()
        log.info("worker %r started: pid %r", worker.index, worker.process.pid)

    def _stop_signal(self, signum: int, _frame: FrameType | None) -> None:
        log.info("%s: stopping the workers", signal.Signals(signum).name)
        self.stopping = True

    def _look_after(self, worker: Worker) -> None:
        now = time.monotonic()
        if worker.process is None:
            if now >= worker.start_after:
                self._start(worker)
            return
        code = worker.process.poll()
        if code is None:
            if now - worker.started_at > self.settle_seconds:
                worker.failures = 0
            return
        lived = now - worker.started_at
        worker.failures = worker.failures + 1 if lived < self.settle_seconds else 0
        delay = min(self.max_delay, 0.5 * 2**worker.failures) if worker.failures else 0.0
        log.error("worker %r (pid %r) exited with %r after %.1fs; starting it again in %.1fs",
                  worker.index, worker.process.pid, code, lived, delay)  # fmt: skip
        worker.process, worker.start_after = None, now + delay
        self.restarts += 1

    def run(self, poll_seconds: float = 0.2) -> int:
        """Until SIGTERM or SIGINT; then every worker is stopped. The exit status: 0."""
        previous = {s: signal.signal(s, self._stop_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            while not self.stopping:
                for worker in self.workers:
                    self._look_after(worker)
                time.sleep(poll_seconds)
        finally:
            self.stop_all()
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        return 0

    def stop_all(self) -> None:
        """SIGTERM to each (they finish what they handle); SIGKILL to any still alive after the grace."""
        running = [w.process for w in self.workers if w.process is not None and w.process.poll() is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.grace_seconds
        for process in running:
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.error("worker pid %r did not stop in %rs: killed", process.pid, self.grace_seconds)
                process.kill()
                process.wait()
        log.info("all %r workers stopped", len(self.workers))

    def pids(self) -> list[int | None]:
        return [w.process.pid if w.process is not None else None for w in self.workers]
