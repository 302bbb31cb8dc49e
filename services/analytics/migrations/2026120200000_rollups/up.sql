-- Rollups by 15-minute bucket (UTC instant; 15 minutes divide every zone offset in use, so any
-- IANA zone's local days are exact sums of buckets) x city x province x hub x service level x
-- value tier x merchant x complaint category x case handler. Every KPI is kept as numerator and
-- denominator counters, so any period's ratio is sum / sum. The nil UUID and '' stand for
-- "none" so the key can be a primary key. The daily table of the first release is replaced
-- (its counts move to the first bucket of their UTC day).
CREATE TABLE kpi_rollup (
    bucket                  TIMESTAMPTZ NOT NULL,
    city                    TEXT NOT NULL DEFAULT '',
    province                TEXT NOT NULL DEFAULT '',
    hub                     TEXT NOT NULL DEFAULT '',
    service_level           TEXT NOT NULL DEFAULT '',
    value_tier              TEXT NOT NULL DEFAULT '',
    merchant_id             UUID NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000',
    category                TEXT NOT NULL DEFAULT '',
    handler_id              UUID NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000',
    shipments               BIGINT NOT NULL DEFAULT 0,
    delivered               BIGINT NOT NULL DEFAULT 0,
    delivered_on_time       BIGINT NOT NULL DEFAULT 0,
    transit_count           BIGINT NOT NULL DEFAULT 0,
    transit_seconds         BIGINT NOT NULL DEFAULT 0,
    damaged                 BIGINT NOT NULL DEFAULT 0,
    lost                    BIGINT NOT NULL DEFAULT 0,
    excepted                BIGINT NOT NULL DEFAULT 0,
    complaints              BIGINT NOT NULL DEFAULT 0,
    first_responses         BIGINT NOT NULL DEFAULT 0,
    first_responses_in_sla  BIGINT NOT NULL DEFAULT 0,
    closed                  BIGINT NOT NULL DEFAULT 0,
    closed_24h              BIGINT NOT NULL DEFAULT 0,
    closed_48h              BIGINT NOT NULL DEFAULT 0,
    reopened                BIGINT NOT NULL DEFAULT 0,
    sla_breaches            BIGINT NOT NULL DEFAULT 0,
    surveys                 BIGINT NOT NULL DEFAULT 0,
    survey_overall_sum      BIGINT NOT NULL DEFAULT 0,
    surveys_satisfied       BIGINT NOT NULL DEFAULT 0,
    new_customers           BIGINT NOT NULL DEFAULT 0,
    claims_paid_minor       BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (bucket, city, province, hub, service_level, value_tier, merchant_id, category, handler_id)
);
INSERT INTO kpi_rollup (bucket, city, province, service_level, merchant_id, category, shipments, complaints)
SELECT day::timestamp AT TIME ZONE 'UTC', city, province, service_level, merchant_id, category, shipments, complaints
FROM kpi_daily;
DROP TABLE kpi_daily;

CREATE INDEX kpi_rollup_merchant_bucket ON kpi_rollup (merchant_id, bucket);
CREATE INDEX kpi_rollup_handler_bucket ON kpi_rollup (handler_id, bucket)
    WHERE handler_id <> '00000000-0000-0000-0000-000000000000';

-- Distinct active customers cannot be summed across buckets: one row per customer and bucket
-- with the dimensions the KPI filters use.
CREATE TABLE customer_activity (
    bucket          TIMESTAMPTZ NOT NULL,
    customer_id     UUID NOT NULL,
    city            TEXT NOT NULL DEFAULT '',
    province        TEXT NOT NULL DEFAULT '',
    service_level   TEXT NOT NULL DEFAULT '',
    value_tier      TEXT NOT NULL DEFAULT '',
    merchant_id     UUID NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000',
    shipments       BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (bucket, customer_id, city, province, service_level, value_tier, merchant_id)
);

-- What later events of a shipment need: its dimensions and which facts were counted (a fact
-- arriving before shipment.created waits here and is counted when the creation arrives).
CREATE TABLE shipment_facts (
    shipment_id         UUID PRIMARY KEY,
    tracking_number     TEXT NOT NULL DEFAULT '',
    created_at          TIMESTAMPTZ,
    city                TEXT NOT NULL DEFAULT '',
    province            TEXT NOT NULL DEFAULT '',
    hub                 TEXT NOT NULL DEFAULT '',
    service_level       TEXT NOT NULL DEFAULT '',
    value_tier          TEXT NOT NULL DEFAULT '',
    merchant_id         UUID NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000',
    customer_id         UUID,
    in_transit_at       TIMESTAMPTZ,
    delivered_at        TIMESTAMPTZ,
    on_time             BOOLEAN,
    damaged_at          TIMESTAMPTZ,
    lost_at             TIMESTAMPTZ,
    exception_at        TIMESTAMPTZ,
    counted             TEXT[] NOT NULL DEFAULT '{}'
);
CREATE INDEX shipment_facts_tracking ON shipment_facts (tracking_number);

-- Complaint cases as far as analytics needs them: dimensions, handler and timings (staff
-- medians, tracking-number clusters).
CREATE TABLE cases (
    complaint_id        UUID PRIMARY KEY,
    type                TEXT NOT NULL DEFAULT 'complaint',
    tracking_number     TEXT NOT NULL DEFAULT '',
    city                TEXT NOT NULL DEFAULT '',
    province            TEXT NOT NULL DEFAULT '',
    hub                 TEXT NOT NULL DEFAULT '',
    service_level       TEXT NOT NULL DEFAULT '',
    value_tier          TEXT NOT NULL DEFAULT '',
    merchant_id         UUID NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000',
    category            TEXT NOT NULL DEFAULT '',
    handler_id          UUID NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000',
    received_at         TIMESTAMPTZ,
    closed_at           TIMESTAMPTZ,
    resolution_seconds  BIGINT
);
CREATE INDEX cases_received ON cases (received_at);
CREATE INDEX cases_closed ON cases (closed_at);

-- Customers as the segments need them.
CREATE TABLE customers (
    customer_id             UUID PRIMARY KEY,
    merchant_id             UUID NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000',
    city                    TEXT NOT NULL DEFAULT '',
    province                TEXT NOT NULL DEFAULT '',
    value_tier              TEXT NOT NULL DEFAULT '',
    lifecycle_stage         TEXT NOT NULL DEFAULT '',
    spend_12m_minor         BIGINT NOT NULL DEFAULT 0,
    created_at              TIMESTAMPTZ,
    tier_changed_at         TIMESTAMPTZ,
    stage_changed_at        TIMESTAMPTZ,
    last_shipment_at        TIMESTAMPTZ,
    shipments               BIGINT NOT NULL DEFAULT 0,
    churn_baseline_monthly  DOUBLE PRECISION,
    churn_last_30d          BIGINT,
    churn_drop_ratio        DOUBLE PRECISION,
    churn_detected_at       TIMESTAMPTZ
);
CREATE INDEX customers_merchant ON customers (merchant_id);

-- Early-warning alerts: one per condition per day.
CREATE TABLE alerts (
    id              UUID PRIMARY KEY,
    kind            TEXT NOT NULL,
    city            TEXT NOT NULL DEFAULT '',
    category        TEXT NOT NULL DEFAULT '',
    hub             TEXT NOT NULL DEFAULT '',
    day             DATE NOT NULL,
    observed        DOUBLE PRECISION NOT NULL,
    threshold       DOUBLE PRECISION NOT NULL,
    status          TEXT NOT NULL DEFAULT 'open',
    raised_at       TIMESTAMPTZ NOT NULL,
    acknowledged_at TIMESTAMPTZ,
    acknowledged_by TEXT,
    UNIQUE (kind, city, category, hub, day)
);
CREATE INDEX alerts_status ON alerts (status, raised_at DESC);
