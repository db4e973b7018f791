-- Several workers share the inbox: a claimed update is leased by its worker (owner) until
-- lease_until, renewed by a heartbeat; a dead worker's lease runs out and another takes the update.
-- depends: 0001.tables

ALTER TABLE inbox ADD COLUMN owner TEXT;
ALTER TABLE inbox ADD COLUMN lease_until DOUBLE PRECISION;
CREATE INDEX inbox_owner ON inbox (owner) WHERE state = 'handling';
