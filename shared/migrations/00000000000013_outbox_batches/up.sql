-- A row may hold a batch of events of one type (a JSON array of envelopes, published as one
-- `application/cloudevents-batch+json` message): `events` says how many, so the relay can
-- claim a bounded number of events per round without reading the envelopes first.
ALTER TABLE outbox ADD COLUMN events INT NOT NULL DEFAULT 1;
-- Batches are large (hundreds of kB of JSON): lz4 compresses them several times faster than
-- the default pglz. A server built without lz4 keeps pglz.
DO $$
BEGIN
    ALTER TABLE outbox ALTER COLUMN envelope SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
    RAISE NOTICE 'lz4 is not available; the outbox keeps pglz';
END $$;
