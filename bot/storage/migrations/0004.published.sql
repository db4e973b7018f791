-- Small values every worker follows: today the index version served after a reload
-- (the reloading worker publishes it, the others load what it saved).
-- depends: 0003.staff

CREATE TABLE published (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL
);
