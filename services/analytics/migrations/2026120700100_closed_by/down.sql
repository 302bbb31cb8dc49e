ALTER TABLE cases DROP COLUMN closed_by;
