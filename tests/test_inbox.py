import json
import time

import pytest
from aiogram.types import Update

from bot.storage.inbox import Inbox, redacted_payload
from bot.storage.sqlite import Store


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "h.sqlite3")
    yield s
    s.close()


def update(update_id: int, text: str = "vergi borcu", user: int = 7) -> Update:
    return Update.model_validate(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id + 100,
                "date": 1_700_000_000,
                "chat": {"id": user, "type": "private"},
                "from": {"id": user, "is_bot": False, "first_name": "Aysel"},
                "text": text,
                "entities": [{"type": "bot_command", "offset": 0, "length": 1}],
            },
        }
    )


def stored(store: Store, update_id: int) -> dict:
    return list(store.db.query("SELECT * FROM inbox WHERE update_id = ?", [update_id]))[0]


def test_record_keeps_a_redacted_copy_once(store):
    inbox = Inbox(store)
    assert inbox.record(update(1, "FIN 5ZXK4PT, tel +994 50 123 45 67"))
    assert not inbox.record(update(1, "a second delivery"))
    row = stored(store, 1)
    assert row["state"] == "received"
    assert "5ZXK4PT" not in row["payload"] and "123 45 67" not in row["payload"]
    payload = json.loads(row["payload"])
    assert payload["message"]["from"]["id"] == 7 and "entities" not in payload["message"]
    assert Update.model_validate(payload).message.text.startswith("FIN ")


def test_redaction_leaves_ids_and_callback_data_alone():
    raw = {
        "update_id": 3,
        "callback_query": {
            "id": "99",
            "data": "consent:12:1",
            "from": {"id": 5, "first_name": "Nigar 5ZXK4PT"},
        },
    }
    clean = redacted_payload(raw)
    assert clean["callback_query"]["data"] == "consent:12:1" and clean["callback_query"]["id"] == "99"
    assert "5ZXK4PT" not in clean["callback_query"]["from"]["first_name"]


def test_record_refuses_a_body_without_update_id(store):
    with pytest.raises(ValueError):
        Inbox(store).record({"message": {}})


def test_claim_is_granted_once(store):
    inbox = Inbox(store)
    inbox.record(update(1))
    assert inbox.claim(update(1))
    assert not inbox.claim(update(1))  # a redelivery while it is handled
    inbox.finish(1)
    assert not inbox.claim(update(1))  # and after
    row = stored(store, 1)
    assert row["state"] == "done" and row["payload"] is None and row["attempts"] == 1


def test_an_update_fed_without_recording_is_recorded_by_claim(store):
    inbox = Inbox(store)
    assert inbox.claim(update(9))
    assert inbox.state(9) == "handling"


def test_recover_replays_unfinished_in_order_and_counts_attempts(store):
    inbox = Inbox(store)
    for update_id in (3, 1, 2):
        inbox.record(update(update_id))
    inbox.claim(update(1))  # taken by a process that was then killed
    inbox.claim(update(2))
    inbox.finish(2)
    recovery = inbox.recover()
    assert [p["update_id"] for p in recovery.replay] == [1, 3]
    assert recovery.given_up == []
    assert inbox.state(1) == "received" and stored(store, 1)["attempts"] == 1


def test_a_poisonous_update_is_set_aside_after_max_attempts(store):
    inbox = Inbox(store, max_attempts=2)
    inbox.record(update(1))
    for _ in range(2):  # two starts, each killed while handling it
        assert inbox.claim(update(1))
        recovery = inbox.recover()
    assert recovery.given_up == [1] and recovery.replay == []
    assert inbox.state(1) == "failed" and stored(store, 1)["payload"] is None


def test_release_hands_an_interrupted_update_back(store):
    inbox = Inbox(store)
    inbox.claim(update(4))
    inbox.release(4)
    assert [p["update_id"] for p in inbox.recover().replay] == [4]


def test_a_replay_does_not_log_the_message_twice(store):
    inbox = Inbox(store)
    interrupted = inbox.claim(update(5))
    interrupted.log(7, 7, "in", "vergi borcu")  # the interrupted run logged it...
    inbox.recover()
    replay = inbox.claim(update(5))
    assert replay  # ...the replay starts clean
    replay.log(7, 7, "in", "vergi borcu")
    assert [m["update_id"] for m in store.messages(7)] == [5]


def test_a_claim_hands_out_the_transcript_of_that_update(store):
    inbox = Inbox(store)
    transcript = inbox.claim(update(6))
    assert transcript is not None and transcript.update_id == 6
    assert inbox.claim(update(6)) is None  # a second claim gets nothing to write to


def test_purge_forgets_old_handled_updates_but_keeps_unfinished(store):
    inbox = Inbox(store)
    inbox.claim(update(1))
    inbox.finish(1)
    inbox.record(update(2))
    store.db.execute("UPDATE inbox SET received_at = 0")
    store.db.conn.commit()
    store.purge_older_than(1)
    assert inbox.state(1) is None and inbox.state(2) == "received"


def test_migration_keeps_the_ids_of_updates_handled_before_the_inbox(tmp_path):
    import sqlite_utils

    from bot.storage.sqlite import migrations

    path = tmp_path / "old.sqlite3"
    old = sqlite_utils.Database(path)
    migrations.apply(old, stop_before="m004_inbox")  # a database from before this change
    old.execute("INSERT INTO processed_updates (update_id, handled_at) VALUES (41, 1.0)")
    old.conn.commit()
    old.close()
    store = Store(path)
    try:
        assert Inbox(store).state(41) == "done"
        assert not Inbox(store).claim(update(41))  # a late redelivery is still recognised
        assert "processed_updates" not in store.db.table_names()
    finally:
        store.close()


def test_max_attempts_is_checked():
    with pytest.raises(ValueError):
        Inbox(None, max_attempts=0)


def _claim_all(path: str, owner: str, ids: list[int], ready, go, out) -> None:
    """In a child process: its own connection to the file, racing the others for every update."""
    own = Store(path)
    ready.put(owner)
    go.wait()
    won = []
    for update_id in ids:
        if own.claim_update(update_id, owner, 60):
            won.append(update_id)
        time.sleep(0.001)  # as a worker does between updates: the others get their turn
    out.put(won)
    own.close()


def test_worker_processes_on_one_file_claim_each_update_exactly_once(store):
    import multiprocessing

    ids = list(range(1, 201))
    for update_id in ids:
        store.record_update(update_id, {"update_id": update_id})
    context = multiprocessing.get_context("fork")
    results, ready, go = context.Queue(), context.Queue(), context.Event()
    workers = [
        context.Process(target=_claim_all, args=(store.path, f"w{n}", ids, ready, go, results))
        for n in range(3)
    ]
    for worker in workers:
        worker.start()
    # Every worker has opened the file before any claims (on a loaded machine a fixed sleep let
    # one worker take all 200 before another had started).
    assert sorted(ready.get(timeout=60) for _ in workers) == ["w0", "w1", "w2"]
    go.set()
    won = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    assert sorted(u for claimed in won for u in claimed) == ids  # none twice, none missed
    assert sum(bool(claimed) for claimed in won) >= 2  # the race was real


def test_a_worker_inbox_recovers_only_dead_claims(store):
    live = Inbox(store, owner="live", lease_seconds=60, stale_after=3600)
    dead = Inbox(store, owner="dead", lease_seconds=0.01, stale_after=3600)
    assert live.claim(update(1)) and dead.claim(update(2))
    time.sleep(0.02)
    assert live.renew() == 1 and dead.renew() == 1  # (a dead worker renews nothing: shown by 0.01 s)
    time.sleep(0.02)
    assert [p["update_id"] for p in live.recover().replay] == [2]
    assert live.claim(update(2)) is not None and inbox_owner(store, 2) == "live"


def inbox_owner(store: Store, update_id: int) -> str:
    return stored(store, update_id)["owner"]


def _open_when_told(path: str, go, out) -> None:
    go.wait()
    try:
        Store(path).close()
        out.put("ok")
    except Exception as exc:  # what a worker starting beside the others must never meet
        out.put(repr(exc))


def test_workers_starting_together_on_a_new_file_all_open_it(tmp_path):
    import multiprocessing

    context = multiprocessing.get_context("fork")
    results, go = context.Queue(), context.Event()
    path = str(tmp_path / "fresh.sqlite3")
    starting = [context.Process(target=_open_when_told, args=(path, go, results)) for _ in range(4)]
    for process in starting:
        process.start()
    go.set()
    outcomes = [results.get(timeout=60) for _ in starting]
    for process in starting:
        process.join(timeout=30)
    assert outcomes == ["ok"] * 4
    store = Store(path)
    assert store.inbox_counts() == {} and store.published_version() is None  # migrated once, whole
    store.close()
