ALTER TABLE refresh_tokens DROP COLUMN session_started_at;
DROP TABLE login_addresses;
