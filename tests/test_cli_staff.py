"""``helpdesk staff``: add (prompted twice, or from stdin), list, disable, password."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.config import Settings
from bot.storage.sqlite import SqliteStore
from bot.web.staff import StaffAccounts
from bot.wiring import database_path

PASSWORD = "correct horse battery"


@pytest.fixture
def settings(tmp_path, monkeypatch):
    monkeypatch.setenv("HELPDESK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)  # no stray .env from the developer's folder
    return Settings()


@pytest.fixture
def store(settings):
    """The CLI's database, opened after the commands ran (each command closes its own)."""
    opened: list[SqliteStore] = []

    def open_it() -> SqliteStore:
        opened.append(SqliteStore(database_path(settings)))
        return opened[-1]

    yield open_it
    for each in opened:
        each.close()


def run(*args, input=None):
    return CliRunner().invoke(main, ["staff", *args], input=input, catch_exceptions=False)


def test_add_prompts_twice_and_the_account_logs_in(settings, store):
    result = run("add", "aysel", "--role", "admin", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "added aysel (admin)" in result.output
    assert result.output.count("Password") == 1 and "Repeat for confirmation" in result.output
    assert PASSWORD not in result.output and "$argon2" not in result.output
    accounts = StaffAccounts(store())
    assert accounts.authenticate("aysel", PASSWORD, "127.0.0.1").role == "admin"
    add_row = store().audit_log()[0]
    assert add_row["action"] == "staff_add" and json.loads(add_row["detail"])["member"] == "aysel"


def test_add_refuses_mismatched_confirmation(settings, store):
    # click asks again after a mismatch; the second pair matches.
    result = run(
        "add", "aysel", "--role", "editor", input=f"{PASSWORD}\nsomething else\n{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0 and "do not match" in result.output.lower()
    assert StaffAccounts(store()).authenticate("aysel", PASSWORD, "127.0.0.1").role == "editor"


def test_add_from_stdin_for_scripts(settings, store):
    result = run(
        "add", "rauf", "--role", "supervisor", "--lang", "en", "--password-stdin", input=PASSWORD + "\n"
    )
    assert result.exit_code == 0 and "Password" not in result.output
    member = StaffAccounts(store()).authenticate("rauf", PASSWORD, "127.0.0.1")
    assert (member.role, member.lang) == ("supervisor", "en")


@pytest.mark.parametrize(
    "args, message",
    [
        (("add", "Aysel", "--role", "editor"), "lowercase"),
        (("add", "aysel", "--role", "editor"), "at least 10"),
    ],
)
def test_add_refusals_are_one_line(settings, args, message):
    password = "short" if message == "at least 10" else PASSWORD
    result = run(*args, "--password-stdin", input=password + "\n")
    assert result.exit_code == 1 and message in result.output
    assert result.output.strip().count("\n") == 0 and password not in result.output


def test_a_bad_role_is_refused_by_the_option(settings):
    result = run("add", "aysel", "--role", "operator", "--password-stdin", input=PASSWORD + "\n")
    assert result.exit_code == 2 and "operator" in result.output


def test_a_taken_name_is_refused_before_asking(settings):
    run("add", "aysel", "--role", "editor", "--password-stdin", input=PASSWORD + "\n")
    result = run("add", "aysel", "--role", "admin")
    assert result.exit_code == 1 and "already exists" in result.output and "Password" not in result.output


def test_list_shows_accounts_and_their_state(settings, store):
    assert "helpdesk staff add NAME --role admin" in run("list").output
    for name, role in (("aysel", "admin"), ("rauf", "editor")):
        run("add", name, "--role", role, "--password-stdin", input=PASSWORD + "\n")
    run("disable", "rauf")
    lines = run("list").output.splitlines()
    assert len(lines) == 2
    assert lines[0].split()[:4] == ["aysel", "admin", "az", "active"]
    assert lines[1].split()[:4] == ["rauf", "editor", "az", "disabled"]
    assert "$argon2" not in "\n".join(lines)


def test_list_shows_a_locked_account(settings, store):
    run("add", "aysel", "--role", "editor", "--password-stdin", input=PASSWORD + "\n")
    store().update_staff("aysel", failed_logins=5, locked_until=4_000_000_000.0)
    assert "locked until" in run("list").output


def test_disable_ends_logins_and_sessions(settings, store):
    from bot.web.staff import LoginRefused, Sessions

    run("add", "aysel", "--role", "editor", "--password-stdin", input=PASSWORD + "\n")
    db = store()
    member = StaffAccounts(db).authenticate("aysel", PASSWORD, "127.0.0.1")
    token = Sessions(db).open(member)
    result = run("disable", "aysel")
    assert result.exit_code == 0 and "disabled aysel" in result.output
    assert Sessions(db).get(token) is None
    with pytest.raises(LoginRefused) as refused:
        StaffAccounts(db).authenticate("aysel", PASSWORD, "127.0.0.1")
    assert refused.value.reason == "disabled"
    assert "staff_disable" in [row["action"] for row in db.audit_log()]
    assert run("disable", "nobody").exit_code == 1


def test_password_sets_a_new_one(settings, store):
    run("add", "aysel", "--role", "editor", "--password-stdin", input=PASSWORD + "\n")
    result = run("password", "aysel", input="a brand new password\na brand new password\n")
    assert result.exit_code == 0 and "a brand new password" not in result.output
    assert StaffAccounts(store()).authenticate("aysel", "a brand new password", "127.0.0.1").name == "aysel"
    assert run("password", "nobody", "--password-stdin", input=PASSWORD + "\n").exit_code == 1
