"""What both backends' staff tables share: the fields update_staff may set and the session filter
(the SQL differs only in the driver's placeholder)."""

from __future__ import annotations

from typing import Any

# The columns update_staff may set; a name from here is the only text put into its SQL.
STAFF_FIELDS = ("role", "password_hash", "disabled", "failed_logins", "locked_until", "lang")


def checked_staff_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """update_staff's fields, refused unless every name is one of STAFF_FIELDS (both backends)."""
    unknown = set(fields) - set(STAFF_FIELDS)
    if unknown or not fields:
        raise ValueError(f"update_staff sets {', '.join(STAFF_FIELDS)}; got {sorted(unknown or fields)}")
    return fields


def session_filter(
    placeholder: str, token_hash: str | None, staff_name: str | None, expired_before: float | None
) -> tuple[str, list[Any]]:
    """delete_staff_sessions' WHERE clause and parameters (both backends; ``placeholder`` is the
    driver's: ``?`` or ``%s``); at least one condition, or a ValueError."""
    where, params = [], []
    for column, value in (
        (f"token_hash = {placeholder}", token_hash),
        (f"staff_name = {placeholder}", staff_name),
        (f"expires_at < {placeholder}", expired_before),
    ):
        if value is not None:
            where.append(column)
            params.append(value)
    if not where:
        raise ValueError("delete_staff_sessions needs token_hash, staff_name or expired_before")
    return " AND ".join(where), params
