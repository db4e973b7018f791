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

        ``BEGIN IMMEDIATE``: the file's write lock is taken first, so a transaction that reads
        and then writes never finds, half-way, that another process (a second worker, a CLI
        command) wrote in between — it waits its turn (busy_timeout) instead of failing.
        sqlite-utils 4 commits a write made outside an open transaction at once, so every
        multi-statement write comes through here. Inside a transaction the connection already has
        open, it is a savepoint."""
        with self.lock:
            if self.db.conn.in_transaction:
                with self.db.atomic():
                    yield self.db
                return
            self.db.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.conn.rollback()
                raise
            self.db.conn.commit()

    def execute(self, sql: str, params: tuple | dict = ()) -> int | None:
        """One statement in its own transaction; the cursor's ``lastrowid``."""
        with self.transaction() as db:
            return db.execute(sql, params).lastrowid

    def insert(self, sql: str, params: tuple | dict = ()) -> int:
        """An INSERT: the new row's id (sqlite3 sets ``lastrowid`` after every INSERT)."""
        return cast(int, self.execute(sql, params))
