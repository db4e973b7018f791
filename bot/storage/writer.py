"""The one writer of a SQLite database: a transaction holds the lock, so the bot's asyncio tasks and
worker threads never interleave one (they share one connection)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import cast

import sqlite_utils


class Writer:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self.lock = threading.Lock()

    @contextmanager
    def transaction(self) -> Iterator[sqlite_utils.Database]:
        """Several statements under the lock, committed together or not at all.

        An explicit BEGIN (sqlite-utils' ``atomic``): sqlite-utils 4 commits a write that runs
        outside an open transaction at once, so the connection's own context manager alone left
        each statement committed by itself and a later failure could not undo the earlier ones."""
        with self.lock, self.db.atomic():
            yield self.db

    def execute(self, sql: str, params: tuple | dict = ()) -> int | None:
        """One statement in its own transaction; the cursor's ``lastrowid``."""
        with self.transaction() as db:
            return db.execute(sql, params).lastrowid

    def insert(self, sql: str, params: tuple | dict = ()) -> int:
        """An INSERT: the new row's id (sqlite3 sets ``lastrowid`` after every INSERT)."""
        return cast(int, self.execute(sql, params))
