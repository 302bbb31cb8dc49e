ALTER TABLE merges DROP COLUMN survivor_after, DROP COLUMN duplicate_after;
