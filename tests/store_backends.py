"""Shared by the Store contract tests: the backends (``store_backend`` in conftest.py runs each on a
fresh database), and small builders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.cases.tickets import TicketRequest, Tickets
from bot.storage import base


def _sqlite(request: pytest.FixtureRequest, tmp_path: Path) -> base.Store:
    from bot.storage.sqlite import SqliteStore

    return SqliteStore(tmp_path / "contract.sqlite3")


def _postgres(request: pytest.FixtureRequest, tmp_path: Path) -> base.Store:
    """A fresh database on the session's real PostgreSQL server (tests/pg_server.py), dropped after."""
    from bot.storage.postgres import PostgresStore

    server = request.getfixturevalue("pg_server")
    url = server.new_database()
    request.addfinalizer(lambda: server.drop(url))
    return PostgresStore(url, pool_size=4)


BACKENDS = {"sqlite": _sqlite, "postgres": _postgres}


class FakeUpdate:
    """What the inbox needs of an aiogram Update (its id and its JSON form)."""

    def __init__(self, update_id: int, text: str = "vergi borcu") -> None:
        self.update_id = update_id
        self.text = text

    def model_dump(self, *, mode: str, by_alias: bool, exclude_none: bool) -> dict[str, Any]:
        return {"update_id": self.update_id, "message": {"message_id": 1, "text": self.text}}


def new_ticket(tickets: Tickets, user: int = 1, question: str = "FIN 5ZXK4PT, pensiyam gəlmir") -> int:
    candidates = [{"topic": f"t{n}", "score": 0.5} for n in range(5)]
    return tickets.request(
        TicketRequest(user, user, "Aysel", "az", "social", "low_confidence", question, candidates, 0.4)
    )
