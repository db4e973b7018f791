import os
import sqlite3
import stat
import time

import pytest

from bot.storage.sqlite import Store, migrations


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "data" / "helpdesk.sqlite3")
    yield s
    s.close()


def test_migrations_create_tables_with_wal(store):
    tables = set(store.db.table_names())
    assert {"users", "messages", "feedback", "_sqlite_migrations"} <= tables
    assert list(store.db.query("PRAGMA journal_mode"))[0]["journal_mode"] == "wal"
    assert [m.name for m in migrations.pending(store.db)] == []


def test_reopening_applies_nothing_twice(tmp_path):
    path = tmp_path / "h.sqlite3"
    first = Store(path)
    first.touch_user(1)
    applied = [m.name for m in migrations.applied(first.db)]
    first.close()
    again = Store(path)
    assert again.user(1) is not None
    assert [m.name for m in migrations.applied(again.db)] == applied
    assert len(applied) == len(set(applied)) >= 2


def test_file_is_owner_only(store):
    mode = stat.S_IMODE(os.stat(store.path).st_mode)
    assert mode == 0o600


def test_messages_are_redacted_before_storage(store):
    store.log_message(7, 7, "in", "FIN kodum 5ZXK4PT, telefon +994 50 123 45 67, mail a.b@mail.az")
    [row] = store.messages(7)
    assert (
        "5ZXK4PT" not in row["text"] and "123 45 67" not in row["text"] and "a.b@mail.az" not in row["text"]
    )
    assert "[FIN]" in row["text"] and "[PHONE]" in row["text"] and "[EMAIL]" in row["text"]


def test_language_and_consent(store):
    assert store.language(9) is None
    store.set_language(9, "ru")
    store.set_consent(9)
    user = store.user(9)
    assert user["lang"] == "ru" and user["consent_at"] > 0
    store.touch_user(9)
    assert store.language(9) == "ru"  # touching keeps the chosen language


def test_feedback_once_per_answer(store):
    answer = store.log_message(3, 3, "out", "card", action="answer", topic="passport", lang="az")
    store.add_feedback(3, answer, "passport", "az", True)
    store.add_feedback(3, answer, "passport", "az", False)
    [row] = store.feedback()
    assert row["helpful"] == 0 and row["topic"] == "passport"


def test_purge_removes_only_old_transcripts(store):
    store.log_message(1, 1, "in", "old")
    store.db.execute("UPDATE messages SET created_at = ?", [time.time() - 100 * 86400])
    store.db.conn.commit()
    store.log_message(1, 1, "in", "new")
    assert store.purge_older_than(90) == 1
    assert [m["text"] for m in store.messages(1)] == ["new"]


def test_direction_checked(store):
    with pytest.raises(ValueError):
        store.log_message(1, 1, "sideways", "x")


def test_export_and_forget_a_citizen(store):
    from bot.cases.tickets import TicketRequest, Tickets

    store.set_language(5, "en")
    answer = store.log_message(5, 5, "out", "card", action="answer", topic="passport")
    store.log_message(5, 5, "in", "my phone +994 50 123 45 67")
    store.add_feedback(5, answer, "passport", "en", True)
    tickets = Tickets(store)
    ticket = tickets.request(TicketRequest(5, 5, "Ann", "en", None, "operator_request", "help", [], None))
    tickets.open(ticket, 5)
    tickets.queue_relay(ticket, "to_operators", 5, 77, 5, "hello")
    store.log_message(6, 6, "in", "someone else")
    data = store.export_user(5)
    assert data["user"]["lang"] == "en" and len(data["messages"]) == 2 and len(data["tickets"]) == 1
    assert "123 45 67" not in str(data)
    store.forget_user(5)
    for table in ("users", "messages", "feedback", "tickets"):
        assert not list(store.db.query(f"SELECT * FROM {table} WHERE user_id = 5"))
    assert not tickets.relays(ticket)
    assert len(store.messages(6)) == 1  # others untouched


def test_online_backup_is_checked(store, tmp_path):
    store.log_message(1, 1, "in", "x")
    result = store.backup(tmp_path / "backup" / "copy.sqlite3")
    assert result["integrity"] == "ok" and result["messages"] == 1
    copy = Store(tmp_path / "backup" / "copy.sqlite3")
    assert copy.messages(1)[0]["text"] == "x"
    copy.close()


def test_a_failed_transaction_undoes_its_earlier_statements(store):
    """The writer's transaction is one: sqlite-utils must not commit the first statement alone."""
    store.touch_user(1)
    with pytest.raises(sqlite3.IntegrityError), store.writer.transaction() as db:
        db.execute("UPDATE users SET lang = 'ru' WHERE user_id = 1")
        db.execute("INSERT INTO users (user_id, created_at, last_seen_at) VALUES (1, 0, 0)")  # taken id
    assert store.language(1) is None
    store.set_language(1, "az")  # the writer is usable again
    assert store.language(1) == "az"
