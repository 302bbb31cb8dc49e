-- Hourly totals per merchant and over all merchants (merchant_id ffffffff-...): the KPI query
-- reads these, about 8 760 rows a year, when it filters by nothing but the merchant and the
-- zone's offsets are whole hours; other queries read the 15-minute rows of kpi_rollup.
CREATE TABLE kpi_hourly (
    hour                    TIMESTAMPTZ NOT NULL,
    merchant_id             UUID NOT NULL,
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
    PRIMARY KEY (merchant_id, hour)
);

-- Rows already in the 15-minute rollups.
INSERT INTO kpi_hourly (hour, merchant_id, shipments, delivered, delivered_on_time, transit_count, transit_seconds, damaged, lost, excepted, complaints, first_responses, first_responses_in_sla, closed, closed_24h, closed_48h, reopened, sla_breaches, surveys, survey_overall_sum, surveys_satisfied, new_customers, claims_paid_minor)
SELECT date_trunc('hour', bucket), m, SUM(shipments), SUM(delivered), SUM(delivered_on_time), SUM(transit_count), SUM(transit_seconds), SUM(damaged), SUM(lost), SUM(excepted), SUM(complaints), SUM(first_responses), SUM(first_responses_in_sla), SUM(closed), SUM(closed_24h), SUM(closed_48h), SUM(reopened), SUM(sla_breaches), SUM(surveys), SUM(survey_overall_sum), SUM(surveys_satisfied), SUM(new_customers), SUM(claims_paid_minor)
FROM kpi_rollup CROSS JOIN LATERAL (VALUES (merchant_id), ('ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid)) AS v(m)
GROUP BY 1, 2;
