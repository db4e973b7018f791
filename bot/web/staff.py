"""Staff accounts, sessions and CSRF tokens for the console; no web framework here.

Passwords are hashed with argon2 (argon2-cffi); a session cookie carries a random token of which
the store keeps only the sha256, so a copy of the database opens no session.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from argon2 import PasswordHasher

from bot.storage.base import Store

ROLES = ("editor", "supervisor", "admin")
LANGS = ("az", "ru", "en")

PERMISSIONS: dict[str, frozenset[str]] = {
    "editor": frozenset({"view_knowledge", "view_gaps", "start_article", "review_article"}),
    "supervisor": frozenset({"view_dashboard", "view_tickets", "view_gaps"}),
    "admin": frozenset(
        {
            "view_dashboard",
            "view_tickets",
            "view_gaps",
            "view_knowledge",
            "start_article",
            "review_article",
            "reload",
            "manage_staff",
        }
    ),
}


def allows(role: str, permission: str) -> bool:
    """Whether ``role`` may do ``permission``; an unknown role may do nothing."""
    return permission in PERMISSIONS.get(role, frozenset())


@dataclass(frozen=True)
class StaffMember:
    id: int
    name: str
    role: str
    disabled: bool
    failed_logins: int
    locked_until: float | None
    created_at: float
    lang: str  # the console's language: az | ru | en


RefusalReason = Literal["wrong", "locked", "disabled", "rate_limited"]


class LoginRefused(Exception):
    def __init__(self, reason: RefusalReason) -> None:
        super().__init__(reason)
        self.reason: RefusalReason = reason


class StaffAccounts:
    def __init__(
        self,
        store: Store,
        clock: Callable[[], float] = time.time,
        max_failures: int = 5,
        lock_minutes: float = 15,
        attempts_per_minute: int = 10,
        hasher: PasswordHasher | None = None,
    ) -> None:
        raise NotImplementedError

    def add(self, name: str, role: str, password: str, lang: str = "az", by: str | None = None) -> StaffMember:
        raise NotImplementedError

    def list(self) -> list[StaffMember]:
        raise NotImplementedError

    def get(self, name: str) -> StaffMember | None:
        raise NotImplementedError

    def disable(self, name: str, by: str | None = None) -> None:
        raise NotImplementedError

    def set_password(self, name: str, password: str, by: str | None = None) -> None:
        raise NotImplementedError

    def authenticate(self, name: str, password: str, remote: str) -> StaffMember:
        raise NotImplementedError


@dataclass(frozen=True)
class StaffSession:
    token_hash: str
    staff: StaffMember
    csrf_token: str
    created_at: float
    expires_at: float


class Sessions:
    def __init__(self, store: Store, ttl_minutes: float = 480, clock: Callable[[], float] = time.time) -> None:
        raise NotImplementedError

    def open(self, member: StaffMember) -> str:
        raise NotImplementedError

    def get(self, token: str | None) -> StaffSession | None:
        raise NotImplementedError

    def close(self, token: str | None) -> None:
        raise NotImplementedError

    def close_all(self, name: str) -> None:
        raise NotImplementedError


def csrf_ok(session: StaffSession, submitted: str | None) -> bool:
    raise NotImplementedError
