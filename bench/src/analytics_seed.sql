-- `kuaidi-bench-analytics`: :n shipments over 2025 written set-based into a migrated, empty
-- analytics database as its consumers would have left them: the 15-minute rollups (creation,
-- delivery 95 % of which 90 % on time, exceptions 4 % with damage and loss, complaints 2 %
-- with surveys), customer activity (60 % of shipments by 200 000 customers), then the hourly
-- and day slices and the activity versions derived from those rows as the migrations derive
-- them.
-- Skewed like real traffic: a few cities and merchants carry most of the volume.
SET work_mem = '256MB';
CREATE TEMP TABLE s AS
SELECT i,
  timestamptz '2025-01-01 00:00:00+00' + (i * (interval '365 days' / :n)) + (random() * interval '20 minutes') AS created_at,
  (floor(30 * random()^2))::int AS c,
  (floor(6 * random()))::int AS sl,
  (floor(4 * random()))::int AS vt,
  (floor(500 * random()^3))::int AS m,
  CASE WHEN random() < 0.6 THEN (floor(200000 * random()))::int END AS cust,
  random() AS r
FROM generate_series(0, :n - 1) i;
CREATE TEMP TABLE f AS
SELECT date_bin('15 minutes', created_at, timestamptz '2000-01-01') AS bucket, s.*,
  1 AS shipments, 0 AS delivered, 0 AS on_time, 0 AS damaged, 0 AS lost, 0 AS excepted, 0 AS complaints, 0 AS surveys
FROM s
UNION ALL
SELECT date_bin('15 minutes', created_at + interval '1 day' + r * interval '3 days', timestamptz '2000-01-01'), s.*,
  0, 1, (r < 0.9)::int, 0, 0, 0, 0, 0 FROM s WHERE r < 0.95
UNION ALL
SELECT date_bin('15 minutes', created_at + interval '20 hours', timestamptz '2000-01-01'), s.*,
  0, 0, 0, (r > 0.99)::int, (r > 0.997)::int, 1, 0, 0 FROM s WHERE r > 0.96
UNION ALL
SELECT date_bin('15 minutes', created_at + interval '3 days', timestamptz '2000-01-01'), s.*,
  0, 0, 0, 0, 0, 0, 1, (r > 0.985)::int FROM s WHERE r > 0.98;
INSERT INTO kpi_rollup (bucket, city, province, hub, service_level, value_tier, merchant_id, category, shipments, delivered, delivered_on_time, damaged, lost, excepted, complaints, surveys, survey_overall_sum, surveys_satisfied, transit_count, transit_seconds)
SELECT bucket, 'city' || c, 'prov' || (c / 3), 'HUB' || c || '-' || (i % 2),
  (ARRAY['standard','express','same_day','scheduled','cold_chain','international'])[sl + 1],
  (ARRAY['key','large','medium','small'])[vt + 1],
  ('00000000-0000-0000-0000-' || lpad(to_hex(m + 1), 12, '0'))::uuid,
  CASE WHEN complaints > 0 THEN (ARRAY['delay','damaged','lost','attitude'])[1 + i % 4] ELSE '' END,
  SUM(shipments), SUM(delivered), SUM(on_time), SUM(damaged), SUM(lost), SUM(excepted), SUM(complaints), SUM(surveys), SUM(surveys * 4), SUM(surveys), SUM(delivered), SUM(delivered * 86400)
FROM f GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
INSERT INTO customer_activity (bucket, customer_id, city, province, service_level, value_tier, merchant_id, shipments)
SELECT date_bin('15 minutes', created_at, timestamptz '2000-01-01'), ('10000000-0000-0000-0000-' || lpad(to_hex(cust), 12, '0'))::uuid,
  'city' || c, 'prov' || (c / 3),
  (ARRAY['standard','express','same_day','scheduled','cold_chain','international'])[sl + 1],
  (ARRAY['key','large','medium','small'])[vt + 1],
  ('00000000-0000-0000-0000-' || lpad(to_hex(m + 1), 12, '0'))::uuid, COUNT(*)
FROM s WHERE cust IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6, 7;
INSERT INTO kpi_hourly (hour, merchant_id, dim, value, shipments, delivered, delivered_on_time, transit_count, transit_seconds, damaged, lost, excepted, complaints, first_responses, first_responses_in_sla, closed, closed_24h, closed_48h, reopened, sla_breaches, surveys, survey_overall_sum, surveys_satisfied, new_customers, claims_paid_minor)
SELECT date_trunc('hour', bucket), v.m, d.dim, d.value, SUM(shipments), SUM(delivered), SUM(delivered_on_time), SUM(transit_count), SUM(transit_seconds), SUM(damaged), SUM(lost), SUM(excepted), SUM(complaints), SUM(first_responses), SUM(first_responses_in_sla), SUM(closed), SUM(closed_24h), SUM(closed_48h), SUM(reopened), SUM(sla_breaches), SUM(surveys), SUM(survey_overall_sum), SUM(surveys_satisfied), SUM(new_customers), SUM(claims_paid_minor)
FROM kpi_rollup
CROSS JOIN LATERAL (VALUES (merchant_id), ('ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid)) AS v(m)
CROSS JOIN LATERAL (VALUES ('', ''), ('city', city), ('province', province), ('service_level', service_level), ('value_tier', value_tier)) AS d(dim, value)
WHERE d.dim = '' OR d.value <> ''
GROUP BY 1, 2, 3, 4;
INSERT INTO kpi_days (utc_offset, day, merchant_id, dim, value, shipments, delivered, delivered_on_time, transit_count, transit_seconds, damaged, lost, excepted, complaints, first_responses, first_responses_in_sla, closed, closed_24h, closed_48h, reopened, sla_breaches, surveys, survey_overall_sum, surveys_satisfied, new_customers, claims_paid_minor)
SELECT o.m, ((hour AT TIME ZONE 'UTC') + o.m * interval '1 minute')::date, merchant_id, dim, value, SUM(shipments), SUM(delivered), SUM(delivered_on_time), SUM(transit_count), SUM(transit_seconds), SUM(damaged), SUM(lost), SUM(excepted), SUM(complaints), SUM(first_responses), SUM(first_responses_in_sla), SUM(closed), SUM(closed_24h), SUM(closed_48h), SUM(reopened), SUM(sla_breaches), SUM(surveys), SUM(survey_overall_sum), SUM(surveys_satisfied), SUM(new_customers), SUM(claims_paid_minor)
FROM kpi_hourly
CROSS JOIN (VALUES (0), (480)) AS o(m)
GROUP BY 1, 2, 3, 4, 5;
INSERT INTO activity_versions (day, version)
SELECT DISTINCT (bucket AT TIME ZONE 'UTC')::date, 1 FROM customer_activity;
VACUUM ANALYZE;
