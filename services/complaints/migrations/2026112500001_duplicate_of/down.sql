ALTER TABLE complaints DROP COLUMN duplicate_of;
