"""Looking after a PostgreSQL database: its migrations (yoyo, SQL files in ``migrations/``), the
backup (``pg_dump``), the doctor's probe, and error messages that never show the password.

Migrations are plain SQL files kept by yoyo-migrations: each is applied once, in its own transaction,
recorded in yoyo's ``_yoyo_migration`` table, under yoyo's lock so workers starting together do not
apply one twice. A schema change is a new numbered file that depends on the last.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import unquote, urlsplit

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from bot.storage import StoreUnavailable

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VARIABLE = "HELPDESK_DATABASE_URL"
# The tables whose rows a backup counts in its own snapshot (the same as the SQLite backup's).
COUNTED_TABLES = ("users", "messages", "tickets", "staff")


class PostgresUnavailable(StoreUnavailable):
    """The database cannot be reached or read; the message names no password."""


def scrub(text: str, url: str) -> str:
    """``text`` with the URL's password (as written and decoded) masked: libpq may quote parts of a
    connection string it cannot parse."""
    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    for secret in {password, unquote(password)} if password else ():
        if secret:
            text = text.replace(secret, "***")
    return text


def describe(exc: BaseException, url: str) -> str:
    """One line about a connection failure, without the password."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return scrub(lines[0] if lines else type(exc).__name__, url)


def where(url: str) -> str:
    """host:port/database for messages: what is being connected to, never who with what password."""
    try:
        info = conninfo_to_dict(url)
    except psycopg.Error:
        return "the database"
    return f"{info.get('host', 'localhost')}:{info.get('port', 5432)}/{info.get('dbname', '')}"


def apply_migrations(url: str) -> list[str]:
    """Apply the migrations this database has not had yet; their ids."""
    from yoyo import get_backend, read_migrations

    backend = get_backend("postgresql+psycopg://" + url.split("://", 1)[1])
    try:
        migrations = read_migrations(str(MIGRATIONS_DIR))
        with backend.lock():
            pending = backend.to_apply(migrations)
            backend.apply_migrations(pending)
        return [m.id for m in pending]
    finally:
        backend.connection.close()


def migration_ids() -> list[str]:
    return sorted(p.stem for p in MIGRATIONS_DIR.glob("*.sql"))


def pg_tool(name: str) -> str:
    """``pg_dump`` or ``pg_restore``: the one on PATH, else the newest Debian PostgreSQL's."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(Path(p).parts[-3]))
    if not candidates:
        raise PostgresUnavailable(f"{name} not found: install the PostgreSQL client (postgresql-client)")
    return candidates[-1]


def _tool_env_and_conninfo(url: str) -> tuple[dict[str, str], str]:
    """The password goes to the tool by environment, so it is in no command line (ps shows those)."""
    info = conninfo_to_dict(url)
    env = dict(os.environ)
    password = info.pop("password", None)
    if password:
        env["PGPASSWORD"] = str(password)
    return env, make_conninfo(**{k: str(v) for k, v in info.items()})


def dump(url: str, target: Path) -> dict[str, Any]:
    """pg_dump in PostgreSQL's custom format (compressed; restore with ``pg_restore -d DB FILE``),
    taken in an exported snapshot whose row counts are reported, then read back with
    ``pg_restore --list`` to check the file is whole."""
    env, conninfo = _tool_env_and_conninfo(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    with psycopg.connect(url) as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()
        assert snapshot is not None
        counts = {}
        for table in COUNTED_TABLES:
            row = conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
            counts[table] = row[0] if row else 0
        # The snapshot lives while this transaction is open: pg_dump reads exactly what was counted.
        done = subprocess.run(
            [pg_tool("pg_dump"), "--format=custom", f"--snapshot={snapshot[0]}", "--no-password",
             f"--file={target}", f"--dbname={conninfo}"],
            env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
    if done.returncode != 0:
        raise PostgresUnavailable(f"pg_dump failed: {scrub(done.stderr.strip(), url)}")
    os.chmod(target, 0o600)
    listed = subprocess.run(
        [pg_tool("pg_restore"), "--list", str(target)], capture_output=True, text=True, check=False
    )
    missing = [t for t in COUNTED_TABLES if f"TABLE DATA public {t} " not in listed.stdout]
    if listed.returncode != 0:
        integrity = f"pg_restore cannot read it: {listed.stderr.strip()}"
    else:
        integrity = "ok" if not missing else f"no data for {', '.join(missing)}"
    return {"integrity": integrity, "format": "pg_dump custom", **counts}


class PostgresHealth(NamedTuple):
    pending_migrations: list[str]  # migration files this database has not had yet
    waiting: dict[str, int]  # inbox updates not yet done, by state


def probe(url: str, timeout: float = 5.0) -> PostgresHealth:
    """The doctor's look: the server answers, which migrations are missing, what the inbox holds.
    Reads only, so a running bot is not disturbed."""
    try:
        with psycopg.connect(url, connect_timeout=max(1, int(timeout))) as conn:
            tables = {
                r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            }
            applied = (
                {r[0] for r in conn.execute("SELECT migration_id FROM _yoyo_migration")}
                if "_yoyo_migration" in tables
                else set()
            )
            waiting: dict[str, int] = (
                dict(conn.execute("SELECT state, COUNT(*) FROM inbox WHERE state != 'done' GROUP BY state"))
                if "inbox" in tables
                else {}
            )
    except psycopg.Error as exc:
        raise PostgresUnavailable(f"{where(url)}: {describe(exc, url)}") from None
    return PostgresHealth([m for m in migration_ids() if m not in applied], waiting)
