-- The console's staff accounts and sessions (as SQLite's m006_staff). Not citizens' data: /forget
-- leaves them. A session is kept by the sha256 of its cookie token, so reading this table opens
-- no session.
-- depends: 0002.inbox-lease

CREATE TABLE staff (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,                   -- editor | supervisor | admin
    password_hash TEXT NOT NULL,          -- argon2id, with its parameters
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until DOUBLE PRECISION,
    lang TEXT NOT NULL,                   -- the console's language: az | ru | en
    created_at DOUBLE PRECISION NOT NULL
);

CREATE TABLE staff_sessions (
    token_hash TEXT PRIMARY KEY,          -- sha256 hex of the cookie's token
    staff_name TEXT NOT NULL REFERENCES staff (name),
    csrf_token TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    expires_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX staff_sessions_staff ON staff_sessions (staff_name);
CREATE INDEX staff_sessions_expiry ON staff_sessions (expires_at);
