DROP TABLE customer_figures;
DROP TABLE activity_versions;
DELETE FROM kpi_hourly WHERE dim <> '';
ALTER TABLE kpi_hourly DROP CONSTRAINT kpi_hourly_pkey;
ALTER TABLE kpi_hourly DROP COLUMN dim, DROP COLUMN value;
ALTER TABLE kpi_hourly ADD PRIMARY KEY (merchant_id, hour);
