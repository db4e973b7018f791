"""Storage: the only place that imports sqlite3 / sqlite_utils / psycopg or holds SQL.

``base.Store`` is the protocol the rest of the bot types against; ``postgres.PostgresStore``
implements it on PostgreSQL (``postgres*.py``, schema in ``migrations/``); ``sqlite.SqliteStore`` (alias
``sqlite.Store``) on SQLite: writes in ``sqlite.py`` and ``sqlite_tickets.py``, every read in
``queries.py``, the schema in ``schema.py``, one writer at a time through ``writer.Writer``.
``inbox.Inbox`` is the durable inbox on top of any store."""

from __future__ import annotations


class StoreUnavailable(RuntimeError):
    """The database cannot be reached, read or copied; the message says why, without a password."""
