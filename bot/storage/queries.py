"""Read-only questions about a database file, for the doctor (it may run beside the live bot)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import NamedTuple


class DatabaseHealth(NamedTuple):
    integrity: str  # "ok", or what SQLite's quick_check found
    waiting: dict[str, int]  # inbox updates not yet done, by state


class DatabaseUnreadable(Exception):
    """The file is not a database SQLite can open and read."""


def probe_database(path: Path) -> DatabaseHealth:
    """Integrity and the inbox's unfinished updates, opened read-only so the bot is not disturbed."""
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            check = db.execute("PRAGMA quick_check").fetchone()[0]
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            waiting = (
                dict(db.execute("SELECT state, COUNT(*) FROM inbox WHERE state != 'done' GROUP BY state"))
                if "inbox" in tables
                else {}
            )
        finally:
            db.close()
    except sqlite3.Error as exc:
        raise DatabaseUnreadable(str(exc)) from exc
    return DatabaseHealth(check, waiting)
