-- A shipment's counted facts are kept as they were counted (`domain::shipment::Stamp`: the
-- time, a transit time's first in-transit scan, a delivery's on-time), so a fact whose
-- earlier time becomes known later — a late, older in-transit scan, the first in-transit scan
-- a delivery carries, an older exception — is taken back where it was counted and added where
-- it belongs. The facts counted before are taken as counted at the times known now (which
-- were counted at a time since moved earlier is not recorded).
ALTER TABLE shipment_facts ADD COLUMN stamps JSONB NOT NULL DEFAULT '{}';
UPDATE shipment_facts SET stamps = jsonb_strip_nulls(jsonb_build_object(
    'created', CASE WHEN 'created' = ANY (counted) AND created_at IS NOT NULL
        THEN jsonb_build_object('at', created_at) END,
    'delivered', CASE WHEN 'delivered' = ANY (counted) AND delivered_at IS NOT NULL
        THEN jsonb_build_object('at', delivered_at, 'on_time', COALESCE(on_time, false)) END,
    'transit', CASE WHEN 'transit' = ANY (counted) AND delivered_at IS NOT NULL
            AND in_transit_at IS NOT NULL
        THEN jsonb_build_object('at', delivered_at, 'from', in_transit_at) END,
    'damaged', CASE WHEN 'damaged' = ANY (counted) AND damaged_at IS NOT NULL
        THEN jsonb_build_object('at', damaged_at) END,
    'lost', CASE WHEN 'lost' = ANY (counted) AND lost_at IS NOT NULL
        THEN jsonb_build_object('at', lost_at) END,
    'exception', CASE WHEN 'exception' = ANY (counted) AND exception_at IS NOT NULL
        THEN jsonb_build_object('at', exception_at) END))
WHERE counted <> '{}';
ALTER TABLE shipment_facts DROP COLUMN counted;
ALTER TABLE shipment_facts RENAME COLUMN stamps TO counted;
