CREATE TABLE shipments (
    id                      UUID PRIMARY KEY,
    tracking_number         TEXT NOT NULL UNIQUE,
    merchant_id             UUID,
    shipper_customer_id     UUID,
    -- recipient {name, phone, address, city}: AES-256-GCM sealed JSON (key id inside).
    recipient_sealed        BYTEA NOT NULL,
    -- keyed blind index of the normalised recipient phone, for exact lookup.
    recipient_phone_index   TEXT NOT NULL,
    origin_city             TEXT NOT NULL,
    origin_province         TEXT,
    origin_hub_code         TEXT,
    destination_city        TEXT NOT NULL,
    destination_province    TEXT,
    destination_hub_code    TEXT,
    service_level           TEXT NOT NULL,
    carrier                 TEXT,
    lane                    TEXT,
    weight_kg               DOUBLE PRECISION NOT NULL,
    pieces                  INT NOT NULL DEFAULT 1,
    currency                TEXT NOT NULL,
    freight_minor           BIGINT NOT NULL,
    declared_value_minor    BIGINT,
    cod_amount_minor        BIGINT,
    promised_at             TIMESTAMPTZ NOT NULL,
    estimated_delivery_at   TIMESTAMPTZ,
    status                  TEXT NOT NULL,
    substatus               TEXT,
    delivered_at            TIMESTAMPTZ,
    signed_by               TEXT,
    last_event_at           TIMESTAMPTZ,
    last_sequence           BIGINT NOT NULL DEFAULT 1,
    created_at              TIMESTAMPTZ NOT NULL,
    updated_at              TIMESTAMPTZ NOT NULL,
    version                 INT NOT NULL DEFAULT 1
);
CREATE INDEX shipments_merchant_updated ON shipments (merchant_id, updated_at, id);
CREATE INDEX shipments_recipient_phone ON shipments (recipient_phone_index);
CREATE INDEX shipments_shipper ON shipments (shipper_customer_id);

-- Serial behind generated tracking numbers (scrambled into S10 numbers by the service).
CREATE SEQUENCE tracking_serial;
