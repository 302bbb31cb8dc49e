DROP INDEX survey_tokens_case;
ALTER TABLE survey_tokens DROP COLUMN revoked_at;
