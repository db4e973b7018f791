"""What only the PostgreSQL store has: its URL setting, migrations, leases shared by several workers,
pg_dump backups and reconnection, on the real server of tests/pg_server.py. (Everything the Store
protocol promises is in the contract suites, which run on PostgreSQL too.)"""

from __future__ import annotations

import logging
import subprocess
import threading
import time

import psycopg
import pytest
from pg_server import PASSWORD, free_port
from store_backends import FakeUpdate, new_ticket

from bot.cases.tickets import Tickets
from bot.config import ConfigError, Settings, load_settings
from bot.storage.inbox import Inbox
from bot.storage.postgres import PostgresStore
from bot.storage.postgres_admin import migration_ids, pg_tool, probe
from bot.wiring import open_store


@pytest.fixture
def pg_store(pg_url):
    store = PostgresStore(pg_url, pool_size=4)
    yield store
    store.close()


def _sql(url: str, sql: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(url) as conn:
        cursor = conn.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


# The setting ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url",
    [
        f"mysql://helpdesk:{PASSWORD}@127.0.0.1/helpdesk",
        f"postgresql://helpdesk:{PASSWORD}@127.0.0.1:port/helpdesk",
        f"postgresql://helpdesk:{PASSWORD}@[::1/helpdesk",
        f"helpdesk:{PASSWORD}",
    ],
)
def test_a_wrong_url_is_one_line_naming_the_variable_without_the_password(url, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HELPDESK_DATABASE_URL", url)
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert message.startswith("HELPDESK_DATABASE_URL: ") and "\n" not in message
    assert PASSWORD not in message


def test_unset_is_sqlite_and_a_url_opens_postgres(pg_url, tmp_path):
    sqlite = open_store(Settings(_env_file=None, data_dir=tmp_path))
    try:
        assert type(sqlite).__name__ == "SqliteStore" and (tmp_path / "helpdesk.sqlite3").is_file()
    finally:
        sqlite.close()
    settings = Settings(
        _env_file=None, data_dir=tmp_path / "other", database_url=pg_url, database_pool_size=2
    )
    assert PASSWORD not in repr(settings)  # a SecretStr: not in any dump of the settings
    store = open_store(settings)
    try:
        assert isinstance(store, PostgresStore) and store.pool.max_size == 2
        store.touch_user(5, "az")
        assert store.language(5) == "az"
    finally:
        store.close()
    assert not (tmp_path / "other").exists()  # no SQLite file made beside it


@pytest.mark.parametrize("problem", ["unreachable", "wrong password", "no such database"])
def test_an_unusable_server_is_one_line_naming_the_variable_and_no_log_shows_the_password(
    problem, pg_server, caplog, tmp_path
):
    url = {
        "unreachable": f"postgresql://helpdesk:{PASSWORD}@127.0.0.1:{free_port()}/helpdesk",
        "wrong password": pg_server.url("postgres", password=PASSWORD + "-wrong"),
        "no such database": pg_server.url("nothing_here"),
    }[problem]
    caplog.set_level(logging.DEBUG)
    started = time.monotonic()
    with pytest.raises(ConfigError) as info:
        open_store(Settings(_env_file=None, data_dir=tmp_path, database_url=url))
    message = str(info.value)
    assert message.startswith("HELPDESK_DATABASE_URL: cannot use 127.0.0.1:") and "\n" not in message
    assert PASSWORD not in message and PASSWORD not in caplog.text
    assert {"unreachable": "refused", "wrong password": "password", "no such database": "nothing_here"}[
        problem
    ] in message
    assert time.monotonic() - started < 30


# Migrations -------------------------------------------------------------------------------------------
def test_migrations_are_versioned_applied_at_start_and_only_once(pg_server):
    pg_server.admin("CREATE DATABASE empty_one")
    url = pg_server.url("empty_one")
    try:
        assert probe(url).pending_migrations == migration_ids()
        assert migration_ids()[:3] == ["0001.tables", "0002.inbox-lease", "0003.staff"]
        PostgresStore(url, pool_size=1).close()
        assert probe(url).pending_migrations == []
        applied = _sql(url, "SELECT migration_id FROM _yoyo_migration ORDER BY migration_id")
        store = PostgresStore(url, pool_size=1)  # a second start: nothing applied again, data kept
        store.touch_user(1)
        store.close()
        PostgresStore(url, pool_size=1).close()
        assert _sql(url, "SELECT migration_id FROM _yoyo_migration ORDER BY migration_id") == applied
        assert _sql(url, "SELECT user_id FROM users") == [(1,)]
        columns = {
            r[0]
            for r in _sql(
                url, "SELECT column_name FROM information_schema.columns WHERE table_name = 'inbox'"
            )
        }
        assert {"owner", "lease_until", "payload", "attempts"} <= columns
    finally:
        pg_server.drop(url)


def test_workers_starting_together_migrate_once(pg_server):
    pg_server.admin("CREATE DATABASE raced_one")
    url = pg_server.url("raced_one")
    errors: list[BaseException] = []

    def start() -> None:
        try:
            PostgresStore(url, pool_size=1).close()
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert errors == []
        assert len(_sql(url, "SELECT migration_id FROM _yoyo_migration")) == len(migration_ids())
    finally:
        pg_server.drop(url)


# Several workers on one database ---------------------------------------------------------------------
def _race(workers: list[PostgresStore], attempt) -> list[list]:
    """Every worker calls ``attempt(store)`` at the same moment, each on its own pool; what each won."""
    start = threading.Barrier(len(workers))
    won: list[list] = [[] for _ in workers]
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            start.wait()
            won[index] = attempt(workers[index], index)
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    return won


@pytest.fixture
def workers(pg_url):
    made = [PostgresStore(pg_url, pool_size=2) for _ in range(6)]
    yield made
    for store in made:
        store.close()


def test_racing_workers_claim_each_update_exactly_once(workers):
    ids = list(range(1, 121))
    for update_id in ids:
        workers[0].record_update(update_id, {"update_id": update_id})

    def claim_all(store: PostgresStore, index: int) -> list[int]:
        order = ids if index % 2 else ids[::-1]  # half from each end: they meet in the middle
        return [u for u in order if store.claim_update(u, owner=f"w{index}", lease_seconds=60)]

    won = _race(workers, claim_all)
    claimed = sorted(u for mine in won for u in mine)
    assert claimed == ids  # every update once: none lost, none twice
    assert sum(1 for mine in won if mine) >= 2  # really raced, not one worker taking all
    assert workers[0].inbox_counts() == {"handling": len(ids)}
    assert sum(workers[0].renew_claims(f"w{n}", 60) for n in range(len(workers))) == len(ids)


def test_racing_senders_lease_each_relay_exactly_once(workers):
    tickets = Tickets(workers[0])
    ticket_id = new_ticket(tickets)
    tickets.open(ticket_id, 1)
    relay_ids = [
        workers[0].queue_relay(ticket_id, "to_operators", 1, n, 1, f"message {n}") for n in range(60)
    ]

    def lease_all(store: PostgresStore, index: int) -> list[int]:
        leased = [store.lease_relay(r, 60) for r in (relay_ids if index % 2 else relay_ids[::-1])]
        return [relay.id for relay in leased if relay is not None]

    won = _race(workers, lease_all)
    assert sorted(r for mine in won for r in mine) == sorted(relay_ids)
    assert workers[0].pending_relays() == []


def test_racing_recoveries_hand_each_left_update_to_one_worker(workers):
    for update_id in range(1, 81):
        workers[0].record_update(update_id, {"update_id": update_id})
        assert workers[0].claim_update(update_id, owner="dead", lease_seconds=0.01)
    time.sleep(0.05)  # the dead worker's leases run out

    def recover(store: PostgresStore, index: int) -> list[int]:
        replay, given_up = store.recover_updates(max_attempts=3, stale_after=60)
        assert given_up == []
        return [p["update_id"] for p in replay]

    won = _race(workers, recover)
    assert sorted(u for mine in won for u in mine) == list(range(1, 81))


# Leases -----------------------------------------------------------------------------------------------
def test_a_dead_workers_claim_is_taken_over_once_its_lease_runs_out(pg_store):
    store = pg_store
    inbox = Inbox(store, max_attempts=2)
    inbox.record(FakeUpdate(1))
    assert store.claim_update(1, owner="w1", lease_seconds=0.5)
    store.log_message(7, 7, "in", "written by w1", update_id=1)
    assert not store.claim_update(1, owner="w2", lease_seconds=60)  # w1 is alive
    assert store.renew_claims("w1", 0.5) == 1 and store.renew_claims("w2", 60) == 0
    assert store.recover_updates(2, stale_after=60) == ([], [])  # nothing is stale yet
    time.sleep(0.6)  # w1 stops renewing: killed
    assert store.claim_update(1, owner="w2", lease_seconds=0.1)
    assert store.messages(7) == []  # the replay starts clean
    assert store.renew_claims("w1", 60) == 0  # no longer w1's
    time.sleep(0.2)  # w2 dies as well: the second attempt was the last
    assert store.recover_updates(2, stale_after=60) == ([], [1])
    assert inbox.state(1) == "failed"


def test_recovery_with_stale_after_leaves_live_work_alone(pg_store):
    store = pg_store
    for update_id in (1, 2, 3):
        store.record_update(update_id, {"update_id": update_id})
    assert store.claim_update(2, owner="alive", lease_seconds=60)
    assert store.recover_updates(3, stale_after=60) == ([], [])  # 1 and 3 are new, 2 is leased
    _sql(store._url, "UPDATE inbox SET received_at = received_at - 120 WHERE update_id = 3")
    replay, given_up = store.recover_updates(3, stale_after=60)
    assert [p["update_id"] for p in replay] == [3] and given_up == []
    replay, _ = store.recover_updates(3)  # one process starting: everything unfinished is its own
    assert [p["update_id"] for p in replay] == [1, 2, 3] and store.update_state(2) == "received"
    store.claim_update(1, owner="w")
    store.finish_update(1)
    assert _sql(store._url, "SELECT owner, lease_until, payload FROM inbox WHERE update_id = 1") == [
        (None, None, None)
    ]


# Backup, reconnection ---------------------------------------------------------------------------------
def test_the_backup_is_a_pg_dump_that_restores(pg_store, pg_server, tmp_path):
    store = pg_store
    store.touch_user(5, "az")
    store.log_message(5, 5, "in", "FIN 5ZXK4PT")
    new_ticket(Tickets(store), user=5)
    target = tmp_path / "dumps" / "helpdesk.pgdump"
    result = store.backup(target)
    assert result == {
        "integrity": "ok",
        "format": "pg_dump custom",
        "users": 1,
        "messages": 1,
        "tickets": 1,
        "staff": 0,
    }
    assert target.read_bytes().startswith(b"PGDMP") and oct(target.stat().st_mode)[-3:] == "600"
    pg_server.admin("CREATE DATABASE restored")
    restored = pg_server.url("restored")
    try:
        done = subprocess.run(
            [pg_tool("pg_restore"), "--no-owner", f"--dbname={restored}", str(target)],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        assert _sql(restored, "SELECT user_id, lang FROM users") == [(5, "az")]
        assert "5ZXK4PT" not in str(_sql(restored, "SELECT text FROM messages"))
        again = PostgresStore(restored, pool_size=1)  # a restored copy opens: nothing to migrate
        assert again.messages(5)[0]["user_id"] == 5
        again.close()
    finally:
        pg_server.drop(restored)


def test_the_store_reconnects_after_the_server_restarts(pg_store, pg_server):
    store = pg_store
    store.touch_user(1)
    pg_server.restart()
    store.ping()  # the pool found its connections dead and made new ones
    assert store.user(1)["user_id"] == 1
