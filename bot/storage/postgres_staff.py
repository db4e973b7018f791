"""The PostgreSQL store's staff accounts and console sessions (the rules are bot.web.staff's); the
same methods as :mod:`bot.storage.sqlite_staff`. Times are the caller's clock here, as there: the
session and lock-out rules take ``clock`` for their tests."""

from __future__ import annotations

from typing import Any

import psycopg

from bot.storage.postgres_reads import PostgresRows
from bot.storage.staff_rows import checked_staff_fields, session_filter


class PostgresStaffRows(PostgresRows):
    def add_staff(self, name: str, role: str, password_hash: str, lang: str, created_at: float) -> bool:
        try:
            self._execute(
                "INSERT INTO staff (name, role, password_hash, lang, created_at) VALUES (%s, %s, %s, %s, %s)",
                (name, role, password_hash, lang, created_at),
            )
        except psycopg.errors.UniqueViolation:
            return False
        return True

    def staff(self, name: str) -> dict | None:
        return self._one("SELECT * FROM staff WHERE name = %s", (name,))

    def staff_list(self) -> list[dict]:
        return self._rows("SELECT * FROM staff ORDER BY name")

    def update_staff(self, name: str, /, **fields: Any) -> bool:
        fields = checked_staff_fields(fields)
        if "disabled" in fields:
            fields["disabled"] = bool(fields["disabled"])
        # Column names come from STAFF_FIELDS only (checked); values are parameters.
        columns = ", ".join(f"{column} = %s" for column in fields)
        return self._execute(f"UPDATE staff SET {columns} WHERE name = %s", [*fields.values(), name]) == 1

    def add_staff_session(
        self, token_hash: str, staff_name: str, csrf_token: str, created_at: float, expires_at: float
    ) -> None:
        self._execute(
            "INSERT INTO staff_sessions (token_hash, staff_name, csrf_token, created_at, expires_at) "
            "VALUES (%s, %s, %s, %s, %s)",
            (token_hash, staff_name, csrf_token, created_at, expires_at),
        )

    def staff_session(self, token_hash: str) -> dict | None:
        return self._one("SELECT * FROM staff_sessions WHERE token_hash = %s", (token_hash,))

    def delete_staff_sessions(
        self,
        *,
        token_hash: str | None = None,
        staff_name: str | None = None,
        expired_before: float | None = None,
    ) -> int:
        where, params = session_filter("%s", token_hash, staff_name, expired_before)
        return self._execute(f"DELETE FROM staff_sessions WHERE {where}", params)
