-- A case's receipt and its first response count under the case's handler of now (SPEC §8: an
-- agent's own case figures; staff performance's first-response SLA rate per handler): a case is
-- received, and often first answered at triage, before anyone is assigned, and until now both
-- stayed under no handler, so an agent's own `complaints` was always 0 and the first
-- responses of triage were nobody's. From now on an assignment moves them to the new handler
-- (a -1 / +1 pair at their own times in `kpi_rollup`; the hourly and day slices have no
-- handler, so the pair is nothing there), which needs the first response on the case:
-- `first_responded_at`, `first_response_in_sla`. `handler_since` is the time of the event that
-- named the handler, so an older event arriving late does not take the case back.
ALTER TABLE cases
    ADD COLUMN first_responded_at TIMESTAMPTZ,
    ADD COLUMN first_response_in_sla BOOLEAN,
    ADD COLUMN handler_since TIMESTAMPTZ;

-- The receipts of the complaints assigned so far move from no handler to the case's handler
-- (the receipt stayed under the case's other dimensions: those of `cases`).
--
-- NOT recoverable, because it was never stored: when and under whom the first responses of
-- the cases so far were counted. They stay where they are (under no handler when they were
-- the triage's reply), and a later reassignment of those cases moves their receipt only.
INSERT INTO kpi_rollup (bucket, city, province, hub, service_level, value_tier, merchant_id, category, handler_id, complaints)
SELECT to_timestamp(floor(extract(epoch FROM c.received_at) / 900) * 900), c.city, c.province, c.hub,
       c.service_level, c.value_tier, c.merchant_id, c.category, m.handler_id, SUM(m.n)::bigint
FROM cases c
CROSS JOIN LATERAL (VALUES (c.handler_id, 1), ('00000000-0000-0000-0000-000000000000'::uuid, -1)) AS m(handler_id, n)
WHERE c.type = 'complaint' AND c.received_at IS NOT NULL
  AND c.handler_id <> '00000000-0000-0000-0000-000000000000'
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
ON CONFLICT (bucket, city, province, hub, service_level, value_tier, merchant_id, category, handler_id) DO UPDATE
SET complaints = kpi_rollup.complaints + EXCLUDED.complaints;
