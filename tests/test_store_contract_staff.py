"""The Store contract for staff accounts and console sessions, through the protocol only.

Runs on every backend of ``store_backend`` (tests/store_backends.py); nothing here reads a table.
"""

from __future__ import annotations

import json
import time

import pytest

from bot.storage import base

HASH = "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"


def add(store: base.Store, name: str = "aysel", role: str = "editor", created_at: float = 1000.0) -> None:
    assert store.add_staff(name, role, HASH, "az", created_at)


def test_an_account_is_kept_whole_and_its_name_is_unique(store_backend):
    add(store_backend)
    row = store_backend.staff("aysel")
    assert row is not None
    assert {k: row[k] for k in ("name", "role", "password_hash", "lang", "created_at")} == {
        "name": "aysel",
        "role": "editor",
        "password_hash": HASH,
        "lang": "az",
        "created_at": 1000.0,
    }
    assert not row["disabled"] and row["failed_logins"] == 0 and row["locked_until"] is None
    assert isinstance(row["id"], int)
    assert store_backend.add_staff("aysel", "admin", "other", "en", 2000.0) is False
    assert store_backend.staff("aysel")["role"] == "editor"  # the taken name changed nothing
    assert store_backend.staff("nobody") is None


def test_staff_list_is_by_name(store_backend):
    assert store_backend.staff_list() == []
    for name in ("rauf", "aysel", "leyla"):
        add(store_backend, name)
    assert [row["name"] for row in store_backend.staff_list()] == ["aysel", "leyla", "rauf"]


def test_update_staff_sets_only_the_named_columns(store_backend):
    add(store_backend)
    add(store_backend, "rauf")
    assert store_backend.update_staff("aysel", failed_logins=3, locked_until=5000.5, disabled=True)
    row = store_backend.staff("aysel")
    assert row["failed_logins"] == 3 and row["locked_until"] == 5000.5 and row["disabled"]
    assert row["password_hash"] == HASH and row["role"] == "editor"
    assert store_backend.update_staff("aysel", locked_until=None, disabled=False, role="admin", lang="ru")
    row = store_backend.staff("aysel")
    assert (
        row["locked_until"] is None and not row["disabled"] and (row["role"], row["lang"]) == ("admin", "ru")
    )
    other = store_backend.staff("rauf")
    assert other["role"] == "editor" and other["failed_logins"] == 0  # the other account is untouched
    assert store_backend.update_staff("nobody", failed_logins=1) is False


@pytest.mark.parametrize("fields", [{"name": "x"}, {"id": 7}, {"created_at": 1.0}, {"role; --": "x"}, {}])
def test_update_staff_refuses_other_columns(store_backend, fields):
    add(store_backend)
    with pytest.raises(ValueError):
        store_backend.update_staff("aysel", **fields)
    assert store_backend.staff("aysel")["name"] == "aysel"


def test_sessions_are_found_by_hash_and_deleted_by_token_name_or_expiry(store_backend):
    add(store_backend)
    add(store_backend, "rauf")
    store_backend.add_staff_session("h1", "aysel", "c1", 100.0, 200.0)
    store_backend.add_staff_session("h2", "aysel", "c2", 100.0, 900.0)
    store_backend.add_staff_session("h3", "rauf", "c3", 100.0, 150.0)
    assert store_backend.staff_session("h1") == {
        "token_hash": "h1",
        "staff_name": "aysel",
        "csrf_token": "c1",
        "created_at": 100.0,
        "expires_at": 200.0,
    }
    assert store_backend.staff_session("nope") is None
    assert store_backend.delete_staff_sessions(expired_before=180.0) == 1  # h3 only
    assert store_backend.staff_session("h3") is None and store_backend.staff_session("h1") is not None
    assert store_backend.delete_staff_sessions(token_hash="h1") == 1
    assert store_backend.staff_session("h1") is None and store_backend.staff_session("h2") is not None
    store_backend.add_staff_session("h4", "rauf", "c4", 100.0, 900.0)
    assert store_backend.delete_staff_sessions(staff_name="aysel") == 1
    assert store_backend.staff_session("h2") is None and store_backend.staff_session("h4") is not None
    # Criteria combine: rauf's session has not expired at 500, so nothing goes.
    assert store_backend.delete_staff_sessions(staff_name="rauf", expired_before=500.0) == 0
    with pytest.raises(ValueError):
        store_backend.delete_staff_sessions()


def test_forget_user_leaves_staff_and_their_audit_purge_drops_only_expired_sessions(store_backend, tmp_path):
    add(store_backend)
    store_backend.touch_user(1)
    store_backend.audit(None, "staff_login", None, json.dumps({"staff": "aysel"}))
    now = time.time()
    store_backend.add_staff_session("old", "aysel", "c", now - 7200, now - 3600)
    store_backend.add_staff_session("live", "aysel", "c", now, now + 3600)
    store_backend.forget_user(1)
    assert store_backend.staff("aysel") is not None
    assert [r["action"] for r in store_backend.audit_log()] == ["staff_login"]
    assert json.loads(store_backend.audit_log()[0]["detail"]) == {"staff": "aysel"}
    store_backend.purge_older_than(90)
    assert store_backend.staff_session("old") is None
    assert store_backend.staff_session("live") is not None
    assert store_backend.staff("aysel") is not None  # accounts are not purged with transcripts
    copy = store_backend.backup(tmp_path / "backup" / "copy.bin")
    assert copy["integrity"] == "ok" and copy["staff"] == 1
