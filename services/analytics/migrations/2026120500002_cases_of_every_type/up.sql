-- The case-handling figures — first responses (within SLA), closings (within 24 / 48 h),
-- reopenings, SLA breaches, surveys, per handler too — now count cases of every type
-- (inquiries, suggestions and praise as well as complaints): KPI definitions of version
-- 2026-12-05.1. `complaints`, `complaint_rate_per_10k`, the hotspots and the complaint-spike
-- alert still count cases of type `complaint` only.
--
-- Until now the rollups counted the handling of complaints only. Of the other cases, `cases`
-- kept their dimensions, handler, receipt and latest closing with its resolution time (and
-- staff medians read them there from now on), so each closed case of another type has its
-- latest closing added here: closed, closed within 24 / 48 h, at its closing time under its
-- dimensions and handler, as `complaint.closed` now adds it.
--
-- NOT recoverable, because it was never stored: the first responses, SLA breaches, surveys
-- and reopenings of cases of other types, and the earlier closings of those closed more than
-- once (reopened). For periods before this migration, first_response_sla_rate, sla_breaches,
-- csat_avg and satisfied_rate stay figures of complaints alone, and reopen_rate divides the
-- reopenings of complaints by the closings of every case (lower than it was).
CREATE TEMPORARY TABLE case_closings AS
SELECT to_timestamp(floor(extract(epoch FROM closed_at) / 900) * 900) AS bucket,
       city, province, hub, service_level, value_tier, merchant_id, category, handler_id,
       COUNT(*)::bigint AS closed,
       COUNT(*) FILTER (WHERE resolution_seconds <= 86400)::bigint AS closed_24h,
       COUNT(*) FILTER (WHERE resolution_seconds <= 172800)::bigint AS closed_48h
FROM cases
WHERE type <> 'complaint' AND closed_at IS NOT NULL AND resolution_seconds IS NOT NULL
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9;

INSERT INTO kpi_rollup (bucket, city, province, hub, service_level, value_tier, merchant_id, category, handler_id, closed, closed_24h, closed_48h)
SELECT bucket, city, province, hub, service_level, value_tier, merchant_id, category, handler_id, closed, closed_24h, closed_48h
FROM case_closings
ON CONFLICT (bucket, city, province, hub, service_level, value_tier, merchant_id, category, handler_id) DO UPDATE
SET closed = kpi_rollup.closed + EXCLUDED.closed,
    closed_24h = kpi_rollup.closed_24h + EXCLUDED.closed_24h,
    closed_48h = kpi_rollup.closed_48h + EXCLUDED.closed_48h;

-- Their hourly slices, as `db::rollup::add` writes them: per merchant and over all merchants,
-- unfiltered and per value of each filter dimension.
INSERT INTO kpi_hourly (hour, merchant_id, dim, value, closed, closed_24h, closed_48h)
SELECT date_trunc('hour', r.bucket), v.m, d.dim, d.value, SUM(closed), SUM(closed_24h), SUM(closed_48h)
FROM case_closings AS r
CROSS JOIN LATERAL (VALUES (r.merchant_id), ('ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid)) AS v(m)
CROSS JOIN LATERAL (VALUES ('', ''), ('city', r.city), ('province', r.province), ('service_level', r.service_level), ('value_tier', r.value_tier)) AS d(dim, value)
WHERE d.dim = '' OR d.value <> ''
GROUP BY 1, 2, 3, 4
ON CONFLICT (merchant_id, dim, value, hour) DO UPDATE
SET closed = kpi_hourly.closed + EXCLUDED.closed,
    closed_24h = kpi_hourly.closed_24h + EXCLUDED.closed_24h,
    closed_48h = kpi_hourly.closed_48h + EXCLUDED.closed_48h;

-- Their day slices, at the offsets of `domain::plan::DAY_OFFSETS` (UTC and UTC+8).
INSERT INTO kpi_days (utc_offset, day, merchant_id, dim, value, closed, closed_24h, closed_48h)
SELECT o.m, ((r.bucket AT TIME ZONE 'UTC') + o.m * interval '1 minute')::date, v.m, d.dim, d.value, SUM(closed), SUM(closed_24h), SUM(closed_48h)
FROM case_closings AS r
CROSS JOIN (VALUES (0), (480)) AS o(m)
CROSS JOIN LATERAL (VALUES (r.merchant_id), ('ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid)) AS v(m)
CROSS JOIN LATERAL (VALUES ('', ''), ('city', r.city), ('province', r.province), ('service_level', r.service_level), ('value_tier', r.value_tier)) AS d(dim, value)
WHERE d.dim = '' OR d.value <> ''
GROUP BY 1, 2, 3, 4, 5
ON CONFLICT (merchant_id, dim, value, utc_offset, day) DO UPDATE
SET closed = kpi_days.closed + EXCLUDED.closed,
    closed_24h = kpi_days.closed_24h + EXCLUDED.closed_24h,
    closed_48h = kpi_days.closed_48h + EXCLUDED.closed_48h;

DROP TABLE case_closings;
