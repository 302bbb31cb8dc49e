-- The receipts of the complaints with a handler go back under no handler. The first responses
-- counted since stay under the handler they were moved to (where they were first counted is
-- not kept).
INSERT INTO kpi_rollup (bucket, city, province, hub, service_level, value_tier, merchant_id, category, handler_id, complaints)
SELECT to_timestamp(floor(extract(epoch FROM c.received_at) / 900) * 900), c.city, c.province, c.hub,
       c.service_level, c.value_tier, c.merchant_id, c.category, m.handler_id, SUM(m.n)::bigint
FROM cases c
CROSS JOIN LATERAL (VALUES (c.handler_id, -1), ('00000000-0000-0000-0000-000000000000'::uuid, 1)) AS m(handler_id, n)
WHERE c.type = 'complaint' AND c.received_at IS NOT NULL
  AND c.handler_id <> '00000000-0000-0000-0000-000000000000'
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
ON CONFLICT (bucket, city, province, hub, service_level, value_tier, merchant_id, category, handler_id) DO UPDATE
SET complaints = kpi_rollup.complaints + EXCLUDED.complaints;

ALTER TABLE cases
    DROP COLUMN first_responded_at,
    DROP COLUMN first_response_in_sla,
    DROP COLUMN handler_since;
