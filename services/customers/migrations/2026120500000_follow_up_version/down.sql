ALTER TABLE follow_ups DROP COLUMN version;
