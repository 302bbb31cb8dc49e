-- The full case lifecycle (SPEC §6): per-clock SLA flags and warning times, the proposal,
-- resolution code, proactive cases, the reporter of app cases; the append-only history;
-- versioned SLA policies with calendars; projections of customers; evidence, surveys, claims
-- and improvement actions.

ALTER TABLE complaints
    ADD COLUMN proactive            BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN reporter_phone_hash  TEXT,
    ADD COLUMN resolution_code      TEXT,
    ADD COLUMN proposal             JSONB,
    ADD COLUMN first_response_warn_at TIMESTAMPTZ,
    ADD COLUMN resolution_warn_at   TIMESTAMPTZ,
    -- Which SLA events a case has had, once each: 1 first-response warning, 2 first-response
    -- breach, 4 resolution warning, 8 resolution breach.
    ADD COLUMN sla_flags            INT NOT NULL DEFAULT 0,
    -- The next deadline that matters: first response until it happened, then resolution.
    ADD COLUMN sla_due TIMESTAMPTZ GENERATED ALWAYS AS (
        CASE WHEN first_responded_at IS NULL THEN LEAST(first_response_due, resolution_due)
             ELSE resolution_due END) STORED;
UPDATE complaints SET first_response_warn_at = first_response_due, resolution_warn_at = resolution_due,
    sla_flags = (CASE WHEN sla_warned THEN 5 ELSE 0 END) | (CASE WHEN sla_breached THEN 10 ELSE 0 END);
ALTER TABLE complaints DROP COLUMN sla_warned, DROP COLUMN sla_breached;
ALTER TABLE complaints
    ALTER COLUMN first_response_warn_at SET NOT NULL,
    ALTER COLUMN resolution_warn_at SET NOT NULL;
CREATE INDEX complaints_queue ON complaints (sla_due, id);
CREATE INDEX complaints_open_fr_warn ON complaints (first_response_warn_at)
    WHERE status NOT IN ('closed', 'awaiting_feedback') AND first_responded_at IS NULL;
CREATE INDEX complaints_open_res_warn ON complaints (resolution_warn_at)
    WHERE status NOT IN ('closed', 'awaiting_feedback');
CREATE INDEX complaints_open_fr_due ON complaints (first_response_due)
    WHERE status NOT IN ('closed', 'awaiting_feedback') AND first_responded_at IS NULL;
CREATE INDEX complaints_open_res_due ON complaints (resolution_due)
    WHERE status NOT IN ('closed', 'awaiting_feedback');
CREATE INDEX complaints_reporter ON complaints (reporter_phone_hash) WHERE reporter_phone_hash IS NOT NULL;
CREATE UNIQUE INDEX complaints_proactive_once ON complaints (tracking_number) WHERE proactive;

-- The history is append-only: accountability (追责). Only a customer's erasure (PIPL) may
-- scrub payloads, inside a transaction that says so.
CREATE FUNCTION complaint_history_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND current_setting('kuaidi.history_scrub', true) = 'on' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'complaint_history is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER complaint_history_append_only
    BEFORE UPDATE OR DELETE ON complaint_history
    FOR EACH ROW EXECUTE FUNCTION complaint_history_append_only();

-- SLA policies: each row carries the version of the change that last wrote it.
ALTER TABLE sla_policies
    ADD COLUMN calendar JSONB,
    ADD COLUMN version INT NOT NULL DEFAULT 1;
CREATE TABLE sla_policy_versions (
    version     INT PRIMARY KEY,
    changed_by  TEXT NOT NULL,
    changed_at  TIMESTAMPTZ NOT NULL,
    changes     JSONB NOT NULL
);
INSERT INTO sla_policy_versions VALUES (1, 'system', '2026-01-01T00:00:00Z', '[]');

-- What this service knows of shipments' recipients (blind index of the phone).
ALTER TABLE shipment_projection ADD COLUMN recipient_phone_hash TEXT;
CREATE INDEX shipment_projection_recipient ON shipment_projection (recipient_phone_hash);

-- What this service knows of customers: value tier and owner, from customer events.
CREATE TABLE customer_projection (
    customer_id         UUID PRIMARY KEY,
    tier                TEXT,
    tier_changed_at     TIMESTAMPTZ,
    owner_id            UUID,
    owner_changed_at    TIMESTAMPTZ
);

CREATE TABLE evidence (
    id              UUID PRIMARY KEY,
    complaint_id    UUID NOT NULL REFERENCES complaints (id),
    kind            TEXT NOT NULL,
    description     TEXT,
    uri             TEXT,
    content_type    TEXT,
    size_bytes      BIGINT,
    sha256          TEXT,
    added_by        TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX evidence_case ON evidence (complaint_id, created_at);
-- Uploaded bytes live apart from the case and the evidence row.
CREATE TABLE evidence_content (
    evidence_id     UUID PRIMARY KEY REFERENCES evidence (id),
    content         BYTEA NOT NULL
);

CREATE TABLE surveys (
    id              UUID PRIMARY KEY,
    complaint_id    UUID NOT NULL REFERENCES complaints (id),
    overall         SMALLINT NOT NULL,
    speed           SMALLINT,
    effectiveness   SMALLINT,
    attitude        SMALLINT,
    suggestion      TEXT,
    via             TEXT NOT NULL,
    submitted_by    TEXT,
    submitted_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX surveys_case ON surveys (complaint_id);
-- One-time survey links: only the SHA-256 of the token is kept.
CREATE TABLE survey_tokens (
    token_hash      TEXT PRIMARY KEY,
    complaint_id    UUID NOT NULL REFERENCES complaints (id),
    created_at      TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL,
    used_at         TIMESTAMPTZ
);

CREATE TABLE claims (
    id                      UUID PRIMARY KEY,
    complaint_id            UUID REFERENCES complaints (id),
    tracking_number         TEXT NOT NULL,
    kind                    TEXT NOT NULL,
    status                  TEXT NOT NULL,
    currency                TEXT NOT NULL,
    amount_claimed_minor    BIGINT NOT NULL,
    amount_payable_minor    BIGINT NOT NULL,
    amount_approved_minor   BIGINT,
    customer_id             UUID,
    merchant_id             UUID,
    reason                  TEXT,
    reference               TEXT,
    escalated               BOOLEAN NOT NULL DEFAULT FALSE,
    escalated_at            TIMESTAMPTZ,
    filed_by                TEXT NOT NULL,
    filed_at                TIMESTAMPTZ NOT NULL,
    settled_at              TIMESTAMPTZ,
    updated_at              TIMESTAMPTZ NOT NULL,
    version                 INT NOT NULL DEFAULT 1
);
CREATE INDEX claims_list ON claims (filed_at, id);
CREATE INDEX claims_unsettled ON claims (filed_at) WHERE settled_at IS NULL;

CREATE TABLE improvement_actions (
    id              UUID PRIMARY KEY,
    root_cause      TEXT NOT NULL,
    goal            TEXT NOT NULL,
    method          TEXT,
    owner_id        UUID,
    due_at          TIMESTAMPTZ,
    status          TEXT NOT NULL,
    metric          TEXT,
    baseline        TEXT,
    result          TEXT,
    complaint_ids   UUID[] NOT NULL DEFAULT '{}',
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    version         INT NOT NULL DEFAULT 1
);
CREATE INDEX improvement_actions_list ON improvement_actions (created_at, id);
