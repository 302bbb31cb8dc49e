DROP TABLE alerts;
DROP TABLE customers;
DROP TABLE cases;
DROP TABLE shipment_facts;
DROP TABLE customer_activity;
DROP TABLE kpi_rollup;
CREATE TABLE kpi_daily (
    day             DATE NOT NULL,
    merchant_id     UUID NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000',
    city            TEXT NOT NULL DEFAULT '',
    province        TEXT NOT NULL DEFAULT '',
    service_level   TEXT NOT NULL DEFAULT '',
    category        TEXT NOT NULL DEFAULT '',
    shipments       BIGINT NOT NULL DEFAULT 0,
    complaints      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (day, merchant_id, city, province, service_level, category)
);
