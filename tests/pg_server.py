"""A real PostgreSQL server for the tests: initdb into a temporary folder, ``postgres`` on 127.0.0.1
on a free port, one fresh database per test copied from a migrated template, stopped at the end.

The Debian packages' binaries (/usr/lib/postgresql/<version>/bin) are used; ``make test`` installs
them (scripts/install_system_deps.sh). Missing, the fixture fails and says so: the tests that need
the server are never skipped. initdb refuses to run as root, so under root (CI) the cluster is made
and run by the ``postgres`` system user through ``runuser``, in a folder that user owns.

Connections are by TCP with a password (scram-sha-256), as in production, so the tests can check
that a password never reaches a log or an error message.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

USER = "helpdesk"
PASSWORD = "s3cret-Pg-pass"  # a test value: what the password-never-logged tests look for
TEMPLATE = "helpdesk_template"
RUN_AS = "postgres"  # the Debian package's system user, for root


def postgres_bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(Path(p).parts[-3]))
    if not found:
        pytest.fail(
            "PostgreSQL is not installed (/usr/lib/postgresql/*/bin/postgres missing): run "
            "`make system-deps` (scripts/install_system_deps.sh) to install it from Debian",
            pytrace=False,
        )
    return Path(found[-1]).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    def __init__(self) -> None:
        self.bin = postgres_bin_dir()
        self.root = Path(tempfile.mkdtemp(prefix="helpdesk-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        self._names = itertools.count(1)
        self._template_ready = False

    def _run(self, *args: str) -> None:
        command = [*(["runuser", "-u", RUN_AS, "--"] if self.as_root else []), *args]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            pytest.fail(
                f"{' '.join(args[:2])} failed: {done.stderr.strip() or done.stdout.strip()}", pytrace=False
            )

    def start(self) -> PostgresServer:
        if self.as_root:
            try:
                owner = pwd.getpwnam(RUN_AS)
            except KeyError:
                pytest.fail(
                    f"running as root needs the {RUN_AS!r} user (the Debian package makes it)", pytrace=False
                )
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
        password_file = self.root / "pwfile"
        password_file.write_text(PASSWORD + "\n")
        if self.as_root:
            os.chown(password_file, owner.pw_uid, owner.pw_gid)
        self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", USER, f"--pwfile={password_file}",
            "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions",
        )  # fmt: skip
        self.options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
        )
        self._run(
            str(self.bin / "pg_ctl"), "start", "-D", str(self.data), "-w", "-t", "60",
            "-l", str(self.root / "server.log"), "-o", self.options,
        )  # fmt: skip
        return self

    def restart(self) -> None:
        """Stop and start the server on the same port: every open connection is cut."""
        self._run(
            str(self.bin / "pg_ctl"), "restart", "-D", str(self.data), "-m", "fast", "-w", "-t", "60",
            "-l", str(self.root / "server.log"), "-o", self.options,
        )  # fmt: skip

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(str(self.bin / "pg_ctl"), "stop", "-D", str(self.data), "-m", "immediate", "-w")
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str, password: str = PASSWORD) -> str:
        return f"postgresql://{USER}:{password}@127.0.0.1:{self.port}/{database}"

    def admin(self, sql: str) -> None:
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(sql)

    def new_database(self) -> str:
        """A fresh, migrated database's URL (a copy of the template: milliseconds, not a migration)."""
        from bot.storage.postgres import PostgresStore

        if not self._template_ready:
            self.admin(f"CREATE DATABASE {TEMPLATE}")
            PostgresStore(self.url(TEMPLATE), pool_size=1).close()
            self._template_ready = True
        name = f"test_{next(self._names)}"
        self.admin(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        return self.url(name)

    def drop(self, url: str) -> None:
        self.admin(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    server = PostgresServer()
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture
def pg_url(pg_server: PostgresServer) -> Iterator[str]:
    """A fresh migrated database on the session's server, dropped after the test."""
    url = pg_server.new_database()
    yield url
    pg_server.drop(url)
