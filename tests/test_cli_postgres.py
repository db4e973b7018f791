"""`helpdesk purge`, `backup` and `doctor` with HELPDESK_DATABASE_URL, against the real server of
tests/pg_server.py; the URL's password never appears in what they print."""

from __future__ import annotations

import psycopg
from pg_server import PASSWORD, free_port
from test_cli import run


def _sql(url: str, sql: str) -> None:
    with psycopg.connect(url) as conn:
        conn.execute(sql)


def test_purge_backup_doctor_on_postgres(tiny_settings, pg_url, tmp_path, monkeypatch):
    from bot.storage.postgres import PostgresStore

    monkeypatch.setenv("HELPDESK_DATABASE_URL", pg_url)
    store = PostgresStore(pg_url, pool_size=1)
    store.log_message(1, 1, "in", "old")
    _sql(pg_url, "UPDATE messages SET created_at = created_at - 200 * 86400")
    store.log_message(1, 1, "in", "new")
    store.close()
    purged = run("purge")
    assert purged.exit_code == 0 and "deleted 1 messages older than 90 days" in purged.output
    result = run("backup", str(tmp_path / "helpdesk.pgdump"))
    assert result.exit_code == 0 and "integrity ok" in result.output and "messages 1" in result.output
    assert (tmp_path / "helpdesk.pgdump").read_bytes().startswith(b"PGDMP")
    run("kb", "build")
    monkeypatch.setenv("HELPDESK_BOT_TOKEN", "123456:" + "B" * 35)
    healthy = run("doctor")
    assert healthy.exit_code == 0 and "all good" in healthy.output, healthy.output
    assert "PostgreSQL 127.0.0.1:" in healthy.output and "0 updates waiting" in healthy.output
    assert not (tiny_settings.data_dir / "helpdesk.sqlite3").exists()  # no SQLite beside it
    _sql(pg_url, "INSERT INTO inbox (update_id, state, attempts, received_at) VALUES (9, 'failed', 3, 0)")
    assert "1 set aside after failing 3 times" in run("doctor").output
    audit = PostgresStore(pg_url, pool_size=1)
    assert [r["action"] for r in audit.audit_log()] == ["purge", "backup", "kb_build"]
    audit.close()
    for output in (purged.output, result.output, healthy.output):
        assert PASSWORD not in output


def test_an_unreachable_database_is_one_line_in_every_command(tiny_settings, monkeypatch):
    monkeypatch.setenv(
        "HELPDESK_DATABASE_URL", f"postgresql://helpdesk:{PASSWORD}@127.0.0.1:{free_port()}/db"
    )
    for command in (("purge",), ("backup", "x.pgdump")):
        result = run(*command)
        assert result.exit_code == 2
        (line,) = result.output.strip().splitlines()
        assert line.startswith("error: HELPDESK_DATABASE_URL: cannot use 127.0.0.1:") and PASSWORD not in line
    sick = run("doctor")
    assert sick.exit_code == 2 and PASSWORD not in sick.output
    (line,) = [line for line in sick.output.splitlines() if " database: " in line]
    assert "BAD" in line and "HELPDESK_DATABASE_URL" in line and "refused" in line
