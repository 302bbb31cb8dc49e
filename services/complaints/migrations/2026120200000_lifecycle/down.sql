DROP TABLE improvement_actions;
DROP TABLE claims;
DROP TABLE survey_tokens;
DROP TABLE surveys;
DROP TABLE evidence_content;
DROP TABLE evidence;
DROP TABLE customer_projection;
DROP INDEX shipment_projection_recipient;
ALTER TABLE shipment_projection DROP COLUMN recipient_phone_hash;
DROP TABLE sla_policy_versions;
ALTER TABLE sla_policies DROP COLUMN calendar, DROP COLUMN version;
DROP TRIGGER complaint_history_append_only ON complaint_history;
DROP FUNCTION complaint_history_append_only();
ALTER TABLE complaints
    DROP COLUMN sla_due, DROP COLUMN proactive, DROP COLUMN reporter_phone_hash,
    DROP COLUMN resolution_code, DROP COLUMN proposal, DROP COLUMN first_response_warn_at,
    DROP COLUMN resolution_warn_at, DROP COLUMN sla_flags,
    ADD COLUMN sla_warned BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN sla_breached BOOLEAN NOT NULL DEFAULT FALSE;
