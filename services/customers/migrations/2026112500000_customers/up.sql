CREATE TABLE customers (
    id                  UUID PRIMARY KEY,
    kind                TEXT NOT NULL,
    name                TEXT NOT NULL,
    -- {phones, emails, addresses}: AES-256-GCM sealed JSON (key id inside).
    contacts_sealed     BYTEA NOT NULL,
    company             JSONB,
    industry            TEXT,
    size                TEXT,
    region_city         TEXT,
    region_province     TEXT,
    city_tier           TEXT,
    lanes               TEXT[] NOT NULL DEFAULT '{}',
    preferences         JSONB NOT NULL DEFAULT '{}',
    tags                TEXT[] NOT NULL DEFAULT '{}',
    owner_id            UUID,
    merchant_id         UUID,
    value_tier          TEXT NOT NULL DEFAULT 'small',
    lifecycle_stage     TEXT NOT NULL DEFAULT 'prospect',
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL,
    version             INT NOT NULL DEFAULT 1
);
CREATE INDEX customers_owner ON customers (owner_id);
CREATE INDEX customers_merchant ON customers (merchant_id);

-- Keyed blind indexes of normalised phones, emails and credit codes: exact search and dedup
-- without storing the values in clear.
CREATE TABLE customer_identities (
    kind        TEXT NOT NULL,
    digest      TEXT NOT NULL,
    customer_id UUID NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    PRIMARY KEY (kind, digest, customer_id)
);
CREATE INDEX customer_identities_customer ON customer_identities (customer_id);

-- Shipping activity per customer and day, fed by shipment.created; stats are windows over it.
CREATE TABLE customer_shipment_days (
    customer_id         UUID NOT NULL,
    day                 DATE NOT NULL,
    currency            TEXT NOT NULL,
    shipments           INT NOT NULL,
    spend_minor         BIGINT NOT NULL,
    last_shipment_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (customer_id, day, currency)
);

-- Complaints about each customer, fed by complaint.* events.
CREATE TABLE customer_complaints (
    complaint_id    UUID PRIMARY KEY,
    customer_id     UUID NOT NULL,
    received_at     TIMESTAMPTZ NOT NULL,
    is_open         BOOLEAN NOT NULL DEFAULT TRUE
);
CREATE INDEX customer_complaints_customer ON customer_complaints (customer_id, received_at);
