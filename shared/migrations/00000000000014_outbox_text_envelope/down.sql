ALTER TABLE outbox ALTER COLUMN envelope TYPE JSONB USING envelope::jsonb;
