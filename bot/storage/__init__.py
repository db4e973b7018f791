"""Storage: the only place that imports sqlite3 / sqlite_utils or holds SQL.

``base.Store`` is the protocol the rest of the bot types against; ``sqlite.SqliteStore`` (alias
``sqlite.Store``) implements it: writes in ``sqlite.py`` and ``sqlite_tickets.py``, every read in
``queries.py``, the schema in ``schema.py``, one writer at a time through ``writer.Writer``.
``inbox.Inbox`` is the durable inbox on top of any store."""
