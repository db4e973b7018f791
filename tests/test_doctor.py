from bot.ops.doctor import _check_database
from bot.storage.inbox import Inbox
from bot.storage.sqlite import Store


def test_a_file_that_is_not_a_database_is_reported(tmp_path):
    path = tmp_path / "helpdesk.sqlite3"
    path.write_bytes(b"this is not sqlite" * 100)
    [(ok, name, detail)] = list(_check_database(path))
    assert not ok and name == "database" and str(path) in detail


def test_waiting_updates_are_counted(tmp_path):
    path = tmp_path / "helpdesk.sqlite3"
    store = Store(path)
    Inbox(store).record({"update_id": 1, "message": {}})
    store.close()
    [(ok, _, detail)] = list(_check_database(path))
    assert ok and "1 updates waiting" in detail


def test_a_missing_database_is_fine_before_the_first_start(tmp_path):
    [(ok, _, detail)] = list(_check_database(tmp_path / "helpdesk.sqlite3"))
    assert ok and "not created yet" in detail
