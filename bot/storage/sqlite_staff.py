"""The SQLite store's staff accounts and console sessions (the rules are bot.web.staff's)."""

from __future__ import annotations

import sqlite3
from typing import Any

import sqlite_utils

from bot.storage.staff_rows import checked_staff_fields, session_filter
from bot.storage.writer import Writer


class SqliteStaffRows:
    """Reads and writes of ``staff`` and ``staff_sessions``, writes through the store's one Writer."""

    db: sqlite_utils.Database
    writer: Writer

    def add_staff(self, name: str, role: str, password_hash: str, lang: str, created_at: float) -> bool:
        try:
            self.writer.execute(
                "INSERT INTO staff (name, role, password_hash, lang, created_at) VALUES (?, ?, ?, ?, ?)",
                (name, role, password_hash, lang, created_at),
            )
        except sqlite3.IntegrityError:
            return False
        return True

    def staff(self, name: str) -> dict | None:
        rows = list(self.db.query("SELECT * FROM staff WHERE name = ?", [name]))
        return _staff_row(rows[0]) if rows else None

    def staff_list(self) -> list[dict]:
        return [_staff_row(row) for row in self.db.query("SELECT * FROM staff ORDER BY name")]

    def update_staff(self, name: str, /, **fields: Any) -> bool:
        fields = checked_staff_fields(fields)
        if "disabled" in fields:
            fields["disabled"] = int(bool(fields["disabled"]))
        columns = ", ".join(f"{column} = ?" for column in fields)
        with self.writer.transaction() as db:
            cursor = db.execute(f"UPDATE staff SET {columns} WHERE name = ?", [*fields.values(), name])
            return cursor.rowcount == 1

    def add_staff_session(
        self, token_hash: str, staff_name: str, csrf_token: str, created_at: float, expires_at: float
    ) -> None:
        self.writer.execute(
            "INSERT INTO staff_sessions (token_hash, staff_name, csrf_token, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (token_hash, staff_name, csrf_token, created_at, expires_at),
        )

    def staff_session(self, token_hash: str) -> dict | None:
        rows = list(self.db.query("SELECT * FROM staff_sessions WHERE token_hash = ?", [token_hash]))
        return rows[0] if rows else None

    def delete_staff_sessions(
        self,
        *,
        token_hash: str | None = None,
        staff_name: str | None = None,
        expired_before: float | None = None,
    ) -> int:
        where, params = session_filter("?", token_hash, staff_name, expired_before)
        with self.writer.transaction() as db:
            return db.execute(f"DELETE FROM staff_sessions WHERE {where}", params).rowcount


def _staff_row(row: dict) -> dict:
    return {**row, "disabled": bool(row["disabled"])}
