"""bot.web.staff: roles, accounts, logins with lock-out and rate limit, sessions, CSRF, rehash.

On a real SQLite store in a temporary folder; the clock is a counter the test moves; argon2 runs
with small parameters so each hash takes a millisecond (the rehash test changes them on purpose).
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3

import pytest
from argon2 import PasswordHasher

from bot.config import Settings
from bot.storage.sqlite import SqliteStore
from bot.web.staff import (
    PERMISSIONS,
    ROLES,
    LoginRefused,
    Sessions,
    StaffAccounts,
    allows,
    csrf_ok,
    masked_remote,
    staff_of_audit_row,
    staff_services,
)

PASSWORD = "correct horse battery"
CHEAP = dict(time_cost=1, memory_cost=8, parallelism=1)


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class CountingHasher(PasswordHasher):
    """A real argon2 hasher that counts its verifications (to see the dummy hash is checked)."""

    verified = 0

    def verify(self, hash, password):  # noqa: A002 - argon2's own parameter name
        self.verified += 1
        return super().verify(hash, password)


@pytest.fixture
def store(tmp_path):
    store = SqliteStore(tmp_path / "helpdesk.sqlite3")
    yield store
    store.close()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def accounts(store, clock):
    return StaffAccounts(store, clock=clock, hasher=CountingHasher(**CHEAP))


def refusal(accounts, name, password, remote="203.0.113.7") -> str:
    with pytest.raises(LoginRefused) as caught:
        accounts.authenticate(name, password, remote)
    return caught.value.reason


def actions(store) -> list[str]:
    return [row["action"] for row in store.audit_log()]


# roles ------------------------------------------------------------------------------------------
def test_the_roles_and_what_each_may_do():
    assert ROLES == ("editor", "supervisor", "admin") and set(PERMISSIONS) == set(ROLES)
    everything = set().union(*PERMISSIONS.values())
    assert PERMISSIONS["admin"] == everything
    table = {
        "view_dashboard": {"supervisor", "admin"},
        "view_tickets": {"supervisor", "admin"},
        "view_gaps": {"editor", "supervisor", "admin"},
        "view_knowledge": {"editor", "admin"},
        "start_article": {"editor", "admin"},
        "review_article": {"editor", "admin"},
        "reload": {"admin"},
        "manage_staff": {"admin"},
    }
    assert set(table) == everything
    for permission, roles in table.items():
        assert {role for role in ROLES if allows(role, permission)} == roles, permission
    assert not allows("operator", "view_gaps") and not allows("admin", "drop_tables")


# accounts ---------------------------------------------------------------------------------------
def test_add_keeps_only_an_argon2_hash_and_audits(accounts, store):
    member = accounts.add("aysel", "editor", PASSWORD, lang="ru")
    assert (member.name, member.role, member.lang, member.disabled, member.failed_logins) == (
        "aysel",
        "editor",
        "ru",
        False,
        0,
    )
    assert not hasattr(member, "password_hash")
    stored = store.staff("aysel")["password_hash"]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert accounts.get("aysel") == member and accounts.list() == [member]
    (row,) = store.audit_log()
    assert row["action"] == "staff_add" and row["actor_id"] is None
    assert json.loads(row["detail"]) == {"staff": None, "member": "aysel", "role": "editor"}
    assert PASSWORD not in row["detail"]


@pytest.mark.parametrize(
    "name, role, password, lang",
    [
        ("Aysel", "editor", PASSWORD, "az"),  # capitals
        ("a", "editor", PASSWORD, "az"),  # too short
        ("1aysel", "editor", PASSWORD, "az"),
        ("ay sel", "editor", PASSWORD, "az"),
        ("x" * 33, "editor", PASSWORD, "az"),
        ("x1234567890", "editor", PASSWORD, "az"),  # would read as a VÖEN in the audit
        ("a050-123-45-67", "editor", PASSWORD, "az"),  # and this as a phone
        ("aysel", "operator", PASSWORD, "az"),
        ("aysel", "editor", "short", "az"),
        ("aysel", "editor", "p" * 257, "az"),
        ("aysel", "editor", PASSWORD, "de"),
    ],
)
def test_add_refuses_a_bad_name_role_password_or_language(accounts, store, name, role, password, lang):
    with pytest.raises(ValueError):
        accounts.add(name, role, password, lang=lang)
    assert store.staff_list() == [] and store.audit_log() == []


def test_names_with_a_few_digits_are_kept_whole_in_the_audit(accounts, store):
    for name in ("aysel2024", "admin01", "ab12cd3"):
        accounts.add(name, "editor", PASSWORD)
    assert [json.loads(row["detail"])["member"] for row in store.audit_log()] == [
        "aysel2024",
        "admin01",
        "ab12cd3",
    ]


def test_a_taken_name_is_refused(accounts):
    accounts.add("aysel", "editor", PASSWORD)
    with pytest.raises(ValueError, match="already exists"):
        accounts.add("aysel", "admin", PASSWORD)
    assert accounts.get("aysel").role == "editor"


@pytest.mark.parametrize("arguments", [{"max_failures": 0}, {"lock_minutes": 0}, {"attempts_per_minute": 0}])
def test_limits_are_checked_when_built(store, arguments):
    with pytest.raises(ValueError):
        StaffAccounts(store, hasher=PasswordHasher(**CHEAP), **arguments)
    with pytest.raises(ValueError):
        Sessions(store, ttl_minutes=0)


def test_settings_give_the_limits(store, clock):
    accounts, sessions = staff_services(
        store,
        Settings(
            staff_max_failures=2, staff_lock_minutes=1, staff_logins_per_minute=3, staff_session_minutes=5
        ),
    )
    assert (accounts.max_failures, accounts.lock_seconds, accounts.attempts_per_minute) == (2, 60, 3)
    assert sessions.ttl_seconds == 300


# logins -----------------------------------------------------------------------------------------
def test_a_right_password_logs_in_and_is_audited_with_a_masked_address(accounts, store):
    accounts.add("aysel", "admin", PASSWORD)
    member = accounts.authenticate(" Aysel ", PASSWORD, "203.0.113.7")
    assert member.name == "aysel" and member.role == "admin"
    row = store.audit_log()[-1]
    assert row["action"] == "staff_login" and staff_of_audit_row(row) == "aysel"
    assert json.loads(row["detail"])["remote"] == "203.0.113.x" and "203.0.113.7" not in row["detail"]


def test_unknown_name_and_wrong_password_read_the_same_and_both_hash(accounts, store):
    accounts.add("aysel", "editor", PASSWORD)
    with pytest.raises(LoginRefused) as unknown:
        accounts.authenticate("nobody", PASSWORD, "203.0.113.7")
    after_unknown = accounts.hasher.verified
    with pytest.raises(LoginRefused) as wrong:
        accounts.authenticate("aysel", "not the password", "203.0.113.7")
    assert unknown.value.reason == wrong.value.reason == "wrong"
    assert str(unknown.value) == str(wrong.value)
    assert after_unknown == 1 and accounts.hasher.verified == 2  # a dummy hash was checked for "nobody"
    unknown_row, wrong_row = store.audit_log()[-2:]
    assert json.loads(unknown_row["detail"]) == {
        "staff": None,
        "reason": "wrong",
        "remote": "203.0.113.x",
        "unknown_name": True,
    }
    assert "nobody" not in unknown_row["detail"]  # a mistyped name may be someone's password
    assert staff_of_audit_row(wrong_row) == "aysel"


def test_wrong_passwords_lock_the_account_until_lock_minutes_pass(accounts, store, clock):
    accounts.add("aysel", "editor", PASSWORD)
    for tries in range(1, 5):
        assert refusal(accounts, "aysel", "wrong password!") == "wrong"
        assert accounts.get("aysel").failed_logins == tries and accounts.get("aysel").locked_until is None
    assert refusal(accounts, "aysel", "wrong password!") == "wrong"  # the fifth locks
    assert accounts.get("aysel").locked_until == clock.now + 15 * 60
    assert "staff_locked" in actions(store)
    verified = accounts.hasher.verified
    clock.now += 14 * 60
    assert refusal(accounts, "aysel", PASSWORD) == "locked"  # even the right password
    assert accounts.hasher.verified == verified  # no password is tried while locked
    clock.now += 61
    member = accounts.authenticate("aysel", PASSWORD, "198.51.100.1")
    assert member.failed_logins == 0 and member.locked_until is None


def test_after_a_lock_runs_out_the_count_starts_again(accounts, clock):
    accounts.add("aysel", "editor", PASSWORD)
    for _ in range(5):
        refusal(accounts, "aysel", "wrong password!", remote="192.0.2.1")
    clock.now += 15 * 60 + 1
    assert refusal(accounts, "aysel", "wrong password!") == "wrong"
    assert accounts.get("aysel").failed_logins == 1 and accounts.get("aysel").locked_until is None


def test_success_resets_the_failures(accounts):
    accounts.add("aysel", "editor", PASSWORD)
    for _ in range(3):
        refusal(accounts, "aysel", "wrong password!")
    accounts.authenticate("aysel", PASSWORD, "203.0.113.7")
    assert accounts.get("aysel").failed_logins == 0
    for _ in range(4):  # four more are not yet five
        refusal(accounts, "aysel", "wrong password!")
    assert accounts.get("aysel").locked_until is None


def test_a_disabled_account_is_refused_and_named_only_with_its_password(accounts, store):
    accounts.add("aysel", "editor", PASSWORD)
    accounts.disable("aysel")
    assert refusal(accounts, "aysel", PASSWORD) == "disabled"
    assert refusal(accounts, "aysel", "wrong password!") == "wrong"
    assert accounts.get("aysel").failed_logins == 0  # nothing to lock on a disabled account
    assert actions(store)[:2] == ["staff_add", "staff_disable"]
    with pytest.raises(KeyError):
        accounts.disable("nobody")


def test_the_rate_limit_is_per_address_and_per_minute(accounts, clock):
    accounts.add("aysel", "editor", PASSWORD)
    accounts.add("rauf", "editor", PASSWORD)
    for n in range(10):
        # Different accounts, so the lock-out does not come first; one address.
        refusal(accounts, ("aysel", "rauf", "nobody")[n % 3], "wrong password!", remote="203.0.113.7")
    verified = accounts.hasher.verified
    assert refusal(accounts, "aysel", PASSWORD, remote="203.0.113.7") == "rate_limited"
    assert accounts.hasher.verified == verified  # refused before any hashing
    assert accounts.authenticate("aysel", PASSWORD, "203.0.113.8").name == "aysel"  # another address
    clock.now += 60
    assert accounts.authenticate("aysel", PASSWORD, "203.0.113.7").name == "aysel"


def test_a_new_password_unlocks_and_ends_sessions(accounts, store, clock):
    sessions = Sessions(store, clock=clock)
    accounts.add("aysel", "editor", PASSWORD)
    token = sessions.open(accounts.authenticate("aysel", PASSWORD, "203.0.113.7"))
    for _ in range(5):
        refusal(accounts, "aysel", "wrong password!", remote="192.0.2.9")
    accounts.set_password("aysel", "another long password", by="boss")
    assert sessions.get(token) is None
    assert accounts.authenticate("aysel", "another long password", "192.0.2.10").name == "aysel"
    assert refusal(accounts, "aysel", PASSWORD, remote="192.0.2.10") == "wrong"
    row = [r for r in store.audit_log() if r["action"] == "staff_password"][0]
    assert json.loads(row["detail"]) == {"staff": "boss", "member": "aysel"}
    with pytest.raises(ValueError):
        accounts.set_password("aysel", "short")
    with pytest.raises(KeyError):
        accounts.set_password("nobody", "another long password")


def test_changed_hash_parameters_rehash_at_the_next_login(store, clock):
    old = StaffAccounts(store, clock=clock, hasher=PasswordHasher(**CHEAP))
    old.add("aysel", "editor", PASSWORD)
    first = store.staff("aysel")["password_hash"]
    assert "m=8,t=1,p=1" in first
    new = StaffAccounts(store, clock=clock, hasher=PasswordHasher(time_cost=2, memory_cost=16, parallelism=1))
    new.authenticate("aysel", PASSWORD, "203.0.113.7")
    second = store.staff("aysel")["password_hash"]
    assert second != first and "m=16,t=2,p=1" in second
    new.authenticate("aysel", PASSWORD, "203.0.113.7")
    assert store.staff("aysel")["password_hash"] == second  # up to date: left alone
    assert old.authenticate("aysel", PASSWORD, "203.0.113.7").name == "aysel"  # argon2 reads either


def test_no_password_or_hash_is_logged_or_audited(accounts, store, caplog):
    caplog.set_level(logging.DEBUG)
    accounts.add("aysel", "editor", PASSWORD)
    for _ in range(5):
        refusal(accounts, "aysel", "wrong password!")
    stored = store.staff("aysel")["password_hash"]
    text = caplog.text + json.dumps(store.audit_log())
    assert "aysel" in text
    for secret in (PASSWORD, "wrong password!", stored):
        assert secret not in text


def test_masked_remote():
    assert masked_remote("203.0.113.7") == "203.0.113.x"
    assert masked_remote("2001:db8:1:2::7") == "2001:db8:1:x"
    assert masked_remote("unix-socket") == "x"


# sessions ---------------------------------------------------------------------------------------
@pytest.fixture
def member(accounts):
    accounts.add("aysel", "supervisor", PASSWORD)
    return accounts.authenticate("aysel", PASSWORD, "203.0.113.7")


def test_a_session_is_found_by_its_token_which_is_kept_only_hashed(store, clock, member, tmp_path):
    sessions = Sessions(store, clock=clock)
    token = sessions.open(member)
    assert len(token) >= 43
    session = sessions.get(token)
    assert session is not None and session.staff == member
    assert session.expires_at - session.created_at == 480 * 60
    # What is on disk: the sha256, never the token.
    with sqlite3.connect(tmp_path / "helpdesk.sqlite3") as db:
        rows = db.execute("SELECT token_hash, staff_name, csrf_token FROM staff_sessions").fetchall()
    assert rows == [(hashlib.sha256(token.encode()).hexdigest(), "aysel", session.csrf_token)]
    assert token not in repr(rows) and session.token_hash == rows[0][0]
    other = sessions.open(member)
    assert other != token and sessions.get(other).csrf_token != session.csrf_token


@pytest.mark.parametrize("token", [None, "", "not a token", "x" * 10_000])
def test_an_unknown_token_has_no_session(store, member, token):
    sessions = Sessions(store)
    sessions.open(member)
    assert sessions.get(token) is None
    sessions.close(token)  # nothing to do, no error


def test_a_session_expires_after_its_ttl(store, clock, member):
    sessions = Sessions(store, ttl_minutes=30, clock=clock)
    token = sessions.open(member)
    clock.now += 30 * 60 - 1
    assert sessions.get(token) is not None
    clock.now += 1
    assert sessions.get(token) is None
    clock.now -= 10  # the expired session was deleted, not only hidden
    assert sessions.get(token) is None


def test_disable_and_close_all_end_sessions_and_a_role_change_counts_at_once(store, clock, accounts, member):
    sessions = Sessions(store, clock=clock)
    first, second = sessions.open(member), sessions.open(member)
    store.update_staff("aysel", role="admin")
    assert sessions.get(first).staff.role == "admin"
    sessions.close_all("aysel")
    assert sessions.get(first) is None and sessions.get(second) is None
    third = sessions.open(member)
    accounts.disable("aysel")
    assert sessions.get(third) is None
    # Even a session row left behind is refused while the account is disabled.
    store.add_staff_session("left", "aysel", "csrf", clock.now, clock.now + 60)
    assert store.staff_session("left") is not None
    assert sessions.get("left") is None


def test_logout_closes_one_session_and_is_audited(store, clock, member):
    sessions = Sessions(store, clock=clock)
    kept, closed = sessions.open(member), sessions.open(member)
    sessions.close(closed)
    assert sessions.get(closed) is None and sessions.get(kept) is not None
    row = store.audit_log()[-1]
    assert row["action"] == "staff_logout" and staff_of_audit_row(row) == "aysel"


def test_csrf_ok_only_for_the_sessions_own_token(store, member):
    sessions = Sessions(store)
    session = sessions.get(sessions.open(member))
    other = sessions.get(sessions.open(member))
    assert csrf_ok(session, session.csrf_token)
    for submitted in (
        None,
        "",
        other.csrf_token,
        session.csrf_token[:-1],
        session.csrf_token + "x",
        "\ud800",
    ):
        assert not csrf_ok(session, submitted), submitted


def test_staff_of_audit_row_ignores_operators_and_plain_rows():
    assert staff_of_audit_row({"actor_id": None, "detail": '{"staff": "aysel"}'}) == "aysel"
    assert staff_of_audit_row({"actor_id": 42, "detail": '{"staff": "aysel"}'}) is None
    assert staff_of_audit_row({"actor_id": None, "detail": "root: kb review x"}) is None
    assert staff_of_audit_row({"actor_id": None, "detail": "[1]"}) is None
