CREATE TABLE complaints (
    id                  UUID PRIMARY KEY,
    number              TEXT NOT NULL UNIQUE,
    type                TEXT NOT NULL,
    channel             TEXT NOT NULL,
    customer_id         UUID,
    tracking_number     TEXT,
    merchant_id         UUID,
    category            TEXT,
    priority            TEXT NOT NULL,
    description         TEXT NOT NULL,
    reasonable          BOOLEAN,
    department          TEXT,
    assignee_id         UUID,
    escalation_level    INT NOT NULL DEFAULT 0,
    status              TEXT NOT NULL,
    first_response_due  TIMESTAMPTZ NOT NULL,
    resolution_due      TIMESTAMPTZ NOT NULL,
    first_responded_at  TIMESTAMPTZ,
    sla_warned          BOOLEAN NOT NULL DEFAULT FALSE,
    sla_breached        BOOLEAN NOT NULL DEFAULT FALSE,
    root_cause          TEXT,
    resolution          TEXT,
    satisfaction        INT,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL,
    version             INT NOT NULL DEFAULT 1
);
CREATE INDEX complaints_tracking ON complaints (tracking_number, created_at);
CREATE INDEX complaints_customer ON complaints (customer_id, created_at);
CREATE INDEX complaints_merchant ON complaints (merchant_id, created_at);

-- Per-day counter behind human-readable numbers (C2026112500017).
CREATE TABLE complaint_numbers (
    day     DATE PRIMARY KEY,
    last    INT NOT NULL
);

-- Append-only record of everything done to a case (accountability, SLA derivation).
CREATE TABLE complaint_history (
    id              BIGSERIAL PRIMARY KEY,
    complaint_id    UUID NOT NULL REFERENCES complaints (id),
    actor           TEXT NOT NULL,
    action          TEXT NOT NULL,
    from_status     TEXT,
    to_status       TEXT NOT NULL,
    payload         JSONB NOT NULL DEFAULT '{}',
    at              TIMESTAMPTZ NOT NULL
);
CREATE INDEX complaint_history_case ON complaint_history (complaint_id, id);

-- What this service knows of shipments, from shipment.created.
CREATE TABLE shipment_projection (
    tracking_number         TEXT PRIMARY KEY,
    shipment_id             UUID NOT NULL,
    merchant_id             UUID,
    shipper_customer_id     UUID,
    service_level           TEXT NOT NULL,
    currency                TEXT NOT NULL,
    freight_minor           BIGINT NOT NULL,
    declared_value_minor    BIGINT,
    destination_city        TEXT NOT NULL,
    created_at              TIMESTAMPTZ NOT NULL
);

-- SLA allowances per category x priority (minutes); SPEC §6 defaults.
CREATE TABLE sla_policies (
    category                TEXT NOT NULL,
    priority                TEXT NOT NULL,
    first_response_minutes  INT NOT NULL,
    resolution_minutes      INT NOT NULL,
    PRIMARY KEY (category, priority)
);
INSERT INTO sla_policies (category, priority, first_response_minutes, resolution_minutes)
SELECT c, p.priority, p.fr, p.res
FROM unnest(ARRAY['delay','lost','damaged','service_attitude','missorted','packaging',
                  'tracking_info','billing','legal','compliance','other']) AS c,
     (VALUES ('urgent', 30, 240), ('high', 120, 1440), ('normal', 240, 2880), ('low', 480, 4320))
       AS p(priority, fr, res);
