"""The SQLite schema: sqlite-utils migrations, applied in order when a store opens its file.

sqlite-utils records which ones a file has had; a change to the schema is a new migration at the end.
"""

from __future__ import annotations

import sqlite_utils
from sqlite_utils.migrations import Migrations

migrations = Migrations("citizen-helpdesk")


@migrations()
def m001_users_messages_feedback(db: sqlite_utils.Database) -> None:
    db.execute("""
        CREATE TABLE users (
            user_id INTEGER PRIMARY KEY,
            lang TEXT,
            consent_at REAL,
            created_at REAL NOT NULL,
            last_seen_at REAL NOT NULL
        )""")
    db.execute("""
        CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL,
            chat_id INTEGER NOT NULL,
            direction TEXT NOT NULL,          -- in | out
            text TEXT NOT NULL,               -- redacted
            lang TEXT,
            action TEXT,
            intent TEXT,
            topic TEXT,
            confidence REAL,
            latency_ms REAL,
            created_at REAL NOT NULL
        )""")
    db.execute("CREATE INDEX messages_user ON messages(user_id, created_at)")
    db.execute("""
        CREATE TABLE feedback (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL,
            message_id INTEGER,
            topic TEXT,
            lang TEXT,
            helpful INTEGER NOT NULL,         -- 1 = 👍, 0 = 👎
            created_at REAL NOT NULL,
            UNIQUE (user_id, message_id)
        )""")


@migrations()
def m002_tickets_relay_audit(db: sqlite_utils.Database) -> None:
    db.execute("""
        CREATE TABLE tickets (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL,
            chat_id INTEGER NOT NULL,
            first_name TEXT,
            lang TEXT NOT NULL,
            sector TEXT,
            reason TEXT NOT NULL,            -- operator_request | low_confidence | complaint | ...
            question TEXT NOT NULL,          -- redacted
            candidates TEXT NOT NULL,        -- JSON: [{topic, score}]
            confidence REAL,
            state TEXT NOT NULL,             -- consent | open | claimed | closed | declined
            operator_id INTEGER,
            operator_name TEXT,
            thread_id INTEGER,               -- forum topic; NULL in reply-based mode
            card_message_id INTEGER,
            rating INTEGER,
            reminded_at REAL,
            created_at REAL NOT NULL,
            opened_at REAL,
            claimed_at REAL,
            closed_at REAL
        )""")
    db.execute("CREATE INDEX tickets_user ON tickets(user_id, state)")
    db.execute("CREATE INDEX tickets_thread ON tickets(thread_id)")
    db.execute("""
        CREATE TABLE relay (
            id INTEGER PRIMARY KEY,
            ticket_id INTEGER NOT NULL REFERENCES tickets(id),
            direction TEXT NOT NULL,         -- to_operators | to_citizen
            from_chat_id INTEGER NOT NULL,
            message_id INTEGER NOT NULL,
            sender_id INTEGER,
            text TEXT,                       -- redacted copy, for /kb and the record
            state TEXT NOT NULL,             -- pending | sent | failed
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            copied_message_id INTEGER,
            created_at REAL NOT NULL,
            sent_at REAL,
            UNIQUE (from_chat_id, message_id)
        )""")
    db.execute("CREATE INDEX relay_pending ON relay(state, created_at)")
    db.execute("CREATE TABLE processed_updates (update_id INTEGER PRIMARY KEY, handled_at REAL NOT NULL)")
    db.execute("""
        CREATE TABLE kb_drafts (
            id INTEGER PRIMARY KEY,
            ticket_id INTEGER NOT NULL,
            operator_id INTEGER NOT NULL,
            lang TEXT,
            question TEXT NOT NULL,
            answer TEXT NOT NULL,
            created_at REAL NOT NULL
        )""")
    db.execute("""
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY,
            actor_id INTEGER,
            action TEXT NOT NULL,
            ticket_id INTEGER,
            detail TEXT,
            created_at REAL NOT NULL
        )""")


@migrations()
def m003_relay_lease(db: sqlite_utils.Database) -> None:
    # A relay row is leased by whoever sends it, so the handler and the retry loop never both do.
    db.execute("ALTER TABLE relay ADD COLUMN lease_until REAL")


@migrations()
def m004_inbox(db: sqlite_utils.Database) -> None:
    # Raw updates are kept (redacted) from the moment they arrive until they are handled, so a
    # crash mid-handling replays them; processed_updates only remembered the ids.
    db.execute("""
        CREATE TABLE inbox (
            update_id INTEGER PRIMARY KEY,
            state TEXT NOT NULL,             -- received | handling | done | failed
            payload TEXT,                    -- redacted update JSON; NULL once handled
            attempts INTEGER NOT NULL DEFAULT 0,
            received_at REAL NOT NULL,
            done_at REAL
        )""")
    db.execute("CREATE INDEX inbox_unfinished ON inbox(state, update_id)")
    db.execute(
        "INSERT INTO inbox (update_id, state, attempts, received_at, done_at) "
        "SELECT update_id, 'done', 1, handled_at, handled_at FROM processed_updates"
    )
    db.execute("DROP TABLE processed_updates")
    # Which update wrote a transcript row, so a replayed update does not log its message twice.
    db.execute("ALTER TABLE messages ADD COLUMN update_id INTEGER")
    db.execute("CREATE INDEX messages_update ON messages(update_id)")


@migrations()
def m005_chat_context(db: sqlite_utils.Database) -> None:
    # What a chat is about (the card in context, the last candidates, a pending clarify), so a
    # follow-up is answered from that card after a restart too; it expires (HELPDESK_CONTEXT_MINUTES).
    db.execute("""
        CREATE TABLE chat_context (
            chat_id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL,
            context TEXT NOT NULL,           -- JSON: topic, candidates, choices, lang
            updated_at REAL NOT NULL
        )""")


@migrations()
def m006_staff(db: sqlite_utils.Database) -> None:
    # The console's staff accounts and sessions. Not citizens' data: /forget leaves them. A session
    # is kept by the sha256 of its cookie token, so reading this table opens no session.
    db.execute("""
        CREATE TABLE staff (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            role TEXT NOT NULL,              -- editor | supervisor | admin
            password_hash TEXT NOT NULL,     -- argon2id, with its parameters
            disabled INTEGER NOT NULL DEFAULT 0,
            failed_logins INTEGER NOT NULL DEFAULT 0,
            locked_until REAL,
            lang TEXT NOT NULL,              -- the console's language: az | ru | en
            created_at REAL NOT NULL
        )""")
    db.execute("""
        CREATE TABLE staff_sessions (
            token_hash TEXT PRIMARY KEY,     -- sha256 hex of the cookie's token
            staff_name TEXT NOT NULL REFERENCES staff(name),
            csrf_token TEXT NOT NULL,
            created_at REAL NOT NULL,
            expires_at REAL NOT NULL
        )""")
    db.execute("CREATE INDEX staff_sessions_staff ON staff_sessions(staff_name)")
    db.execute("CREATE INDEX staff_sessions_expiry ON staff_sessions(expires_at)")


@migrations()
def m007_inbox_lease(db: sqlite_utils.Database) -> None:
    # Many workers share the inbox: a claim is leased by its worker (hostname:pid:random) and
    # renewed while it runs, so a killed worker's updates are taken over once the lease runs out.
    db.execute("ALTER TABLE inbox ADD COLUMN owner TEXT")
    db.execute("ALTER TABLE inbox ADD COLUMN lease_until REAL")


@migrations()
def m008_published(db: sqlite_utils.Database) -> None:
    # Small values every worker follows: today the index version served after a reload.
    db.execute("""
        CREATE TABLE published (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            updated_at REAL NOT NULL
        )""")
