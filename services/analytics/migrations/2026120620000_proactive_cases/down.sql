ALTER TABLE cases DROP COLUMN proactive;
