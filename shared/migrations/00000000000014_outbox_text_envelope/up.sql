-- The outbox only carries an envelope from the writer to the broker: stored as the JSON text
-- the writer serialised, it is neither parsed into jsonb on insert nor rebuilt from it for the
-- relay (PostgreSQL's jsonb input was 4 % of its time under the ingestion bench, and the relay
-- parsed every envelope into a serde_json::Value only to serialise it again).
ALTER TABLE outbox ALTER COLUMN envelope TYPE TEXT USING envelope::text;
DO $$
BEGIN
    ALTER TABLE outbox ALTER COLUMN envelope SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
    RAISE NOTICE 'lz4 is not available; the outbox keeps pglz';
END $$;
