"""Staff accounts, sessions and CSRF tokens for the console; no web framework here.

Passwords are hashed with argon2id (argon2-cffi) and rehashed at the next login when the hasher's
parameters change. A session cookie carries a random token of which the store keeps only the
sha256, so a copy of the database opens no session. Every account change, login, refusal and
logout is an audit row (see :func:`audit_detail`).

The login rate limit per remote address is kept in memory, per process: the console is one
process, and a restart forgetting it only lets an address start its minute again (the account
lock-out, which is in the store, still holds).
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
import json
import logging
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bot.config import Settings
from bot.storage.base import Store

log = logging.getLogger(__name__)

ROLES = ("editor", "supervisor", "admin")
LANGS = ("az", "ru", "en")
MIN_PASSWORD_LENGTH = 10
# Hashing is the slow part of a login; a megabyte "password" must not make it slower still.
MAX_PASSWORD_LENGTH = 256
# At most four digits: a longer number in a name would look like a phone or VÖEN to the redaction
# that every audit row passes through, and the row would lose whose it is.
NAME_PATTERN = re.compile(r"(?!(?:.*\d){5})[a-z][a-z0-9._-]{1,31}")

_VIEWS = frozenset({"view_dashboard", "view_tickets", "view_gaps", "view_knowledge"})
PERMISSIONS: dict[str, frozenset[str]] = {
    # Editors write the articles: what citizens asked that nothing answered, and the articles.
    "editor": frozenset({"view_knowledge", "view_gaps", "start_article", "review_article"}),
    # Supervisors watch the service: how it is doing, the cases, the gaps; they change no content.
    "supervisor": frozenset({"view_dashboard", "view_tickets", "view_gaps"}),
    "admin": _VIEWS | {"start_article", "review_article", "reload", "manage_staff"},
}


def allows(role: str, permission: str) -> bool:
    """Whether ``role`` may do ``permission``; an unknown role may do nothing."""
    return permission in PERMISSIONS.get(role, frozenset())


@dataclass(frozen=True)
class StaffMember:
    """An account as the console sees it; the password hash never leaves the store's row."""

    id: int
    name: str
    role: str
    disabled: bool
    failed_logins: int
    locked_until: float | None
    created_at: float
    lang: str  # the console's language: az | ru | en

    @classmethod
    def from_row(cls, row: dict) -> StaffMember:
        return cls(
            id=row["id"],
            name=row["name"],
            role=row["role"],
            disabled=bool(row["disabled"]),
            failed_logins=row["failed_logins"],
            locked_until=row["locked_until"],
            created_at=row["created_at"],
            lang=row["lang"],
        )


RefusalReason = Literal["wrong", "locked", "disabled", "rate_limited"]
_REFUSAL_TEXT = {
    # One text for an unknown name and a wrong password: the page must not tell which names exist.
    "wrong": "wrong name or password",
    "locked": "too many wrong passwords: the account is locked for a while",
    "disabled": "the account is disabled",
    "rate_limited": "too many login attempts from this address: wait a minute",
}


class LoginRefused(Exception):
    """A login refused; ``reason`` is what the console shows (in its own words and language)."""

    def __init__(self, reason: RefusalReason) -> None:
        super().__init__(_REFUSAL_TEXT[reason])
        self.reason: RefusalReason = reason


def audit_detail(staff: str | None, **fields: Any) -> str:
    """The ``detail`` of a staff action's audit row: JSON whose ``"staff"`` key names the member
    acting (None when it came from the command line). Such rows have ``actor_id`` None, which is
    how they differ from operators' rows (a Telegram id), and why /forget never deletes them."""
    return json.dumps({"staff": staff, **fields}, ensure_ascii=False, sort_keys=True)


def staff_of_audit_row(row: dict) -> str | None:
    """The acting staff member's name of an audit row written with :func:`audit_detail`, else None."""
    if row.get("actor_id") is not None:
        return None
    try:
        detail = json.loads(row.get("detail") or "")
    except ValueError:
        return None
    return detail.get("staff") if isinstance(detail, dict) else None


def masked_remote(remote: str) -> str:
    """An address as kept in the audit: the network, not the machine (203.0.113.x, 2001:db8:1:x)."""
    if remote.count(".") == 3:
        return remote.rsplit(".", 1)[0] + ".x"
    if ":" in remote:
        return ":".join(remote.split(":")[:3]) + ":x"
    return "x"


class StaffAccounts:
    """Adds, lists and disables accounts and checks logins, with lock-out and a rate limit."""

    def __init__(
        self,
        store: Store,
        clock: Callable[[], float] = time.time,
        max_failures: int = 5,
        lock_minutes: float = 15,
        attempts_per_minute: int = 10,
        hasher: PasswordHasher | None = None,
    ) -> None:
        if max_failures < 1:
            raise ValueError(f"max_failures must be at least 1, got {max_failures!r}")
        if lock_minutes <= 0:
            raise ValueError(f"lock_minutes must be positive, got {lock_minutes!r}")
        if attempts_per_minute < 1:
            raise ValueError(f"attempts_per_minute must be at least 1, got {attempts_per_minute!r}")
        self.store = store
        self.clock = clock
        self.max_failures = max_failures
        self.lock_seconds = lock_minutes * 60
        self.attempts_per_minute = attempts_per_minute
        self.hasher = hasher or PasswordHasher()
        # Verified against when the name is unknown, so that answer takes as long as a wrong
        # password; made at the first login of any name (a CLI command needs none).
        self._dummy_hash: str | None = None
        self._attempts: dict[str, deque[float]] = {}
        self._attempts_lock = threading.Lock()

    # accounts ------------------------------------------------------------------------------------
    def add(
        self, name: str, role: str, password: str, lang: str = "az", by: str | None = None
    ) -> StaffMember:
        """A new account. ValueError for a bad or taken name, an unknown role or language, or a
        password shorter than MIN_PASSWORD_LENGTH."""
        if not NAME_PATTERN.fullmatch(name):
            raise ValueError(
                "a staff name is 2-32 lowercase letters, '.', '_', '-' and at most 4 digits, "
                "starting with a letter"
            )
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
        if lang not in LANGS:
            raise ValueError(f"lang must be one of {', '.join(LANGS)}, got {lang!r}")
        self._check_password(password)
        if not self.store.add_staff(name, role, self.hasher.hash(password), lang, self.clock()):
            raise ValueError(f"a staff account named {name!r} already exists")
        self.store.audit(None, "staff_add", None, audit_detail(by, member=name, role=role))
        log.info("staff account added: %r (%r)", name, role)
        return self._member(name)

    def list(self) -> builtins.list[StaffMember]:
        return [StaffMember.from_row(row) for row in self.store.staff_list()]

    def get(self, name: str) -> StaffMember | None:
        row = self.store.staff(name)
        return StaffMember.from_row(row) if row else None

    def disable(self, name: str, by: str | None = None) -> None:
        """Disable an account and end its sessions; KeyError if there is none."""
        if not self.store.update_staff(name, disabled=True):
            raise KeyError(name)
        self.store.delete_staff_sessions(staff_name=name)
        self.store.audit(None, "staff_disable", None, audit_detail(by, member=name))
        log.info("staff account disabled: %r", name)

    def set_password(self, name: str, password: str, by: str | None = None) -> None:
        """A new password; it unlocks the account and ends its sessions (a stolen cookie too)."""
        self._check_password(password)
        if not self.store.update_staff(
            name, password_hash=self.hasher.hash(password), failed_logins=0, locked_until=None
        ):
            raise KeyError(name)
        self.store.delete_staff_sessions(staff_name=name)
        self.store.audit(None, "staff_password", None, audit_detail(by, member=name))

    def set_language(self, name: str, lang: str) -> None:
        """The console's language for this member."""
        if lang not in LANGS:
            raise ValueError(f"lang must be one of {', '.join(LANGS)}, got {lang!r}")
        if not self.store.update_staff(name, lang=lang):
            raise KeyError(name)

    # logins --------------------------------------------------------------------------------------
    def authenticate(self, name: str, password: str, remote: str) -> StaffMember:
        """The member whose name and password these are, or LoginRefused.

        Order matters: the rate limit comes before any hashing; a locked account is refused
        before its password is checked (else guessing could go on during the lock); a disabled
        account is named only to whoever knows its password."""
        now = self.clock()
        if not self._take_attempt(remote, now):
            raise LoginRefused("rate_limited")
        if self._dummy_hash is None:
            self._dummy_hash = self.hasher.hash(secrets.token_urlsafe(16))
        name = name.strip().lower()
        row = self.store.staff(name) if NAME_PATTERN.fullmatch(name) else None
        if row is None:
            self._verify(self._dummy_hash, password)
            self._audit_refusal(None, "wrong", remote, unknown_name=True)
            raise LoginRefused("wrong")
        locked_until = row["locked_until"]
        if locked_until is not None and now < locked_until:
            self._audit_refusal(name, "locked", remote)
            raise LoginRefused("locked")
        if not self._verify(row["password_hash"], password):
            if not row["disabled"]:
                self._count_failure(row, now, remote)
            else:
                self._audit_refusal(name, "wrong", remote)
            raise LoginRefused("wrong")
        if row["disabled"]:
            self._audit_refusal(name, "disabled", remote)
            raise LoginRefused("disabled")
        fields: dict[str, Any] = {"failed_logins": 0, "locked_until": None}
        if self.hasher.check_needs_rehash(row["password_hash"]):
            fields["password_hash"] = self.hasher.hash(password)
        self.store.update_staff(name, **fields)
        self.store.audit(None, "staff_login", None, audit_detail(name, remote=masked_remote(remote)))
        return self._member(name)

    def _count_failure(self, row: dict, now: float, remote: str) -> None:
        name = row["name"]
        # A lock that has run out starts the count again.
        failures = (0 if row["locked_until"] is not None else row["failed_logins"]) + 1
        if failures >= self.max_failures:
            self.store.update_staff(name, failed_logins=failures, locked_until=now + self.lock_seconds)
            self.store.audit(
                None,
                "staff_locked",
                None,
                audit_detail(name, failures=failures, remote=masked_remote(remote)),
            )
            log.warning("staff account %r locked after %r wrong passwords", name, failures)
        else:
            self.store.update_staff(name, failed_logins=failures, locked_until=None)
            self._audit_refusal(name, "wrong", remote)

    def _audit_refusal(self, name: str | None, reason: str, remote: str, **extra: Any) -> None:
        detail = audit_detail(name, reason=reason, remote=masked_remote(remote), **extra)
        self.store.audit(None, "staff_login_refused", None, detail)

    def _take_attempt(self, remote: str, now: float) -> bool:
        """Count one attempt from ``remote``; False when it has used its minute's attempts."""
        with self._attempts_lock:
            window = self._attempts.setdefault(remote, deque())
            while window and window[0] <= now - 60:
                window.popleft()
            if len(window) >= self.attempts_per_minute:
                return False
            window.append(now)
            # Addresses quiet for a minute are forgotten, so the table does not grow without end.
            if len(self._attempts) > 10_000:
                for quiet in [r for r, w in self._attempts.items() if not w or w[-1] <= now - 60]:
                    del self._attempts[quiet]
            return True

    def _verify(self, password_hash: str, password: str) -> bool:
        if len(password) > MAX_PASSWORD_LENGTH:
            return False
        try:
            return self.hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def _check_password(self, password: str) -> None:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise ValueError(f"a password has at least {MIN_PASSWORD_LENGTH} characters")
        if len(password) > MAX_PASSWORD_LENGTH:
            raise ValueError(f"a password has at most {MAX_PASSWORD_LENGTH} characters")

    def _member(self, name: str) -> StaffMember:
        member = self.get(name)
        assert member is not None, name
        return member


@dataclass(frozen=True)
class StaffSession:
    token_hash: str
    staff: StaffMember  # read afresh on every get: a changed role or a disable counts at once
    csrf_token: str
    created_at: float
    expires_at: float


def token_hash(token: str) -> str:
    """What the store keeps of a session token: its sha256, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Sessions:
    """Console sessions: a random cookie token, kept hashed, expiring ``ttl_minutes`` after login."""

    def __init__(
        self, store: Store, ttl_minutes: float = 480, clock: Callable[[], float] = time.time
    ) -> None:
        if ttl_minutes <= 0:
            raise ValueError(f"ttl_minutes must be positive, got {ttl_minutes!r}")
        self.store = store
        self.ttl_seconds = ttl_minutes * 60
        self.clock = clock

    def open(self, member: StaffMember) -> str:
        """A new session for a member who has just logged in: the token for the cookie."""
        token = secrets.token_urlsafe(32)
        now = self.clock()
        self.store.add_staff_session(
            token_hash(token), member.name, secrets.token_urlsafe(32), now, now + self.ttl_seconds
        )
        return token

    def get(self, token: str | None) -> StaffSession | None:
        """The session of a cookie's token; None when unknown, expired, or its member disabled."""
        if not token or len(token) > 128:
            return None
        hashed = token_hash(token)
        row = self.store.staff_session(hashed)
        if row is None:
            return None
        if row["expires_at"] <= self.clock():
            self.store.delete_staff_sessions(token_hash=hashed)
            return None
        staff = self.store.staff(row["staff_name"])
        if staff is None or staff["disabled"]:
            return None
        return StaffSession(
            hashed, StaffMember.from_row(staff), row["csrf_token"], row["created_at"], row["expires_at"]
        )

    def close(self, token: str | None) -> None:
        """Log out: the session goes (an unknown or empty token is nothing to do)."""
        if not token or len(token) > 128:
            return
        hashed = token_hash(token)
        row = self.store.staff_session(hashed)
        if row is None:
            return
        self.store.delete_staff_sessions(token_hash=hashed)
        self.store.audit(None, "staff_logout", None, audit_detail(row["staff_name"]))

    def close_all(self, name: str) -> None:
        """End every session of a member (disabling does this too)."""
        self.store.delete_staff_sessions(staff_name=name)


def staff_services(store: Store, settings: Settings) -> tuple[StaffAccounts, Sessions]:
    """The accounts and sessions with the configured limits (HELPDESK_STAFF_*)."""
    accounts = StaffAccounts(
        store,
        max_failures=settings.staff_max_failures,
        lock_minutes=settings.staff_lock_minutes,
        attempts_per_minute=settings.staff_logins_per_minute,
    )
    return accounts, Sessions(store, ttl_minutes=settings.staff_session_minutes)


def csrf_ok(session: StaffSession, submitted: str | None) -> bool:
    """Whether a form's CSRF token is its session's; compared in constant time."""
    if not submitted:
        return False
    # A lone surrogate cannot be the token, but it must not turn the comparison into an error.
    return hmac.compare_digest(session.csrf_token.encode("utf-8"), submitted.encode("utf-8", "replace"))
