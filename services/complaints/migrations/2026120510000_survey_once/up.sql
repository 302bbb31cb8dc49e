-- One survey per resolution (SPEC §6): issuing a new link revokes the case's earlier unused
-- ones, which answer 410 like a used link from then on.
ALTER TABLE survey_tokens ADD COLUMN revoked_at TIMESTAMPTZ;
CREATE INDEX survey_tokens_case ON survey_tokens (complaint_id) WHERE used_at IS NULL AND revoked_at IS NULL;
