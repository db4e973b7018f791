"""Storage: the only place that imports sqlite3 / sqlite_utils (the SQLite store and the durable inbox)."""
