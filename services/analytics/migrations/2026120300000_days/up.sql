-- Day slices: the hourly slices' totals per whole local day at fixed UTC offsets (minutes
-- east; the offsets of `domain::plan::DAY_OFFSETS`: UTC and China Standard Time). A KPI query
-- in a zone keeping one of those offsets reads one row per day, about 365 a year, for the
-- same merchants and filter slices as `kpi_hourly`; other days read the finer rows. Adding an
-- offset later takes a migration filling its days like this one.
CREATE TABLE kpi_days (
    utc_offset              INTEGER NOT NULL,
    day                     DATE NOT NULL,
    merchant_id             UUID NOT NULL,
    dim                     TEXT NOT NULL DEFAULT '',
    value                   TEXT NOT NULL DEFAULT '',
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
    PRIMARY KEY (merchant_id, dim, value, utc_offset, day)
);

-- The day slices of the rows already counted, from the hourly slices (the same merchants and
-- filter slices; both offsets are whole hours, so each hour lies in one local day).
INSERT INTO kpi_days (utc_offset, day, merchant_id, dim, value, shipments, delivered, delivered_on_time, transit_count, transit_seconds, damaged, lost, excepted, complaints, first_responses, first_responses_in_sla, closed, closed_24h, closed_48h, reopened, sla_breaches, surveys, survey_overall_sum, surveys_satisfied, new_customers, claims_paid_minor)
SELECT o.m, ((hour AT TIME ZONE 'UTC') + o.m * interval '1 minute')::date, merchant_id, dim, value, SUM(shipments), SUM(delivered), SUM(delivered_on_time), SUM(transit_count), SUM(transit_seconds), SUM(damaged), SUM(lost), SUM(excepted), SUM(complaints), SUM(first_responses), SUM(first_responses_in_sla), SUM(closed), SUM(closed_24h), SUM(closed_48h), SUM(reopened), SUM(sla_breaches), SUM(surveys), SUM(survey_overall_sum), SUM(surveys_satisfied), SUM(new_customers), SUM(claims_paid_minor)
FROM kpi_hourly
CROSS JOIN (VALUES (0), (480)) AS o(m)
GROUP BY 1, 2, 3, 4, 5;
