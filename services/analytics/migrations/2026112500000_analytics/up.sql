-- Daily rollup by day (UTC) x merchant x city x province x service level x category: every KPI
-- query reads these pre-aggregated rows, never raw history. Later KPIs add counter columns.
-- The nil UUID and '' stand for "none" so the key can be a primary key.
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
CREATE INDEX kpi_daily_merchant_day ON kpi_daily (merchant_id, day);
