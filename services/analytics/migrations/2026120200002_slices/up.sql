-- The hourly totals become hourly slices: per merchant and over all merchants (ffffffff-...),
-- either unfiltered (dim '') or for one value of one filter dimension (city, province,
-- service_level, value_tier). A KPI query with at most one such filter (and any merchant)
-- reads at most 8 760 rows a year of one slice, whatever the volume.
ALTER TABLE kpi_hourly ADD COLUMN dim TEXT NOT NULL DEFAULT '', ADD COLUMN value TEXT NOT NULL DEFAULT '';
ALTER TABLE kpi_hourly DROP CONSTRAINT kpi_hourly_pkey;
ALTER TABLE kpi_hourly ADD PRIMARY KEY (merchant_id, dim, value, hour);

-- The slices of the rows already in the 15-minute rollups.
INSERT INTO kpi_hourly (hour, merchant_id, dim, value, shipments, delivered, delivered_on_time, transit_count, transit_seconds, damaged, lost, excepted, complaints, first_responses, first_responses_in_sla, closed, closed_24h, closed_48h, reopened, sla_breaches, surveys, survey_overall_sum, surveys_satisfied, new_customers, claims_paid_minor)
SELECT date_trunc('hour', bucket), v.m, d.dim, d.value, SUM(shipments), SUM(delivered), SUM(delivered_on_time), SUM(transit_count), SUM(transit_seconds), SUM(damaged), SUM(lost), SUM(excepted), SUM(complaints), SUM(first_responses), SUM(first_responses_in_sla), SUM(closed), SUM(closed_24h), SUM(closed_48h), SUM(reopened), SUM(sla_breaches), SUM(surveys), SUM(survey_overall_sum), SUM(surveys_satisfied), SUM(new_customers), SUM(claims_paid_minor)
FROM kpi_rollup
CROSS JOIN LATERAL (VALUES (merchant_id), ('ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid)) AS v(m)
CROSS JOIN LATERAL (VALUES ('city', city), ('province', province), ('service_level', service_level), ('value_tier', value_tier)) AS d(dim, value)
WHERE d.value <> ''
GROUP BY 1, 2, 3, 4;

-- Distinct active customers cannot be summed, so their figures per period are remembered once
-- computed (per zone, granularity and filter) and recomputed when activity in the days they
-- depend on has changed since: each write to customer_activity raises the version of its UTC
-- day, and a remembered period is valid while the versions of its days add up to what they
-- did when it was computed (versions only grow).
CREATE TABLE activity_versions (
    day         DATE PRIMARY KEY,
    version     BIGINT NOT NULL
);
INSERT INTO activity_versions (day, version)
SELECT DISTINCT (bucket AT TIME ZONE 'UTC')::date, 1 FROM customer_activity;

CREATE TABLE customer_figures (
    time_zone       TEXT NOT NULL,
    granularity     TEXT NOT NULL,
    filter_key      TEXT NOT NULL,
    period_start    DATE NOT NULL,
    -- The UTC days the figures read: the period and the one before it (retention).
    first_day       DATE NOT NULL,
    last_day        DATE NOT NULL,
    version         BIGINT NOT NULL,
    active          BIGINT NOT NULL,
    repeaters       BIGINT NOT NULL,
    retained        BIGINT NOT NULL,
    PRIMARY KEY (time_zone, granularity, filter_key, period_start)
);
