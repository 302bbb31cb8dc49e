-- The earliest accepted `in_transit` scan of each shipment by `occurred_at`, whatever the order
-- the scans arrived in: `shipment.delivered` carries it (SPEC §8's transit time counts from
-- it), and a late, older scan moves no status to tell it otherwise. Ingestion keeps it in the
-- statement that already rewrites a batch's shipments; no index covers it, so that update
-- stays HOT.
ALTER TABLE shipments ADD COLUMN first_in_transit_at TIMESTAMPTZ;

-- The scans stored so far. `shipment_changes` is left alone: `updated_at` does not move.
SET LOCAL kuaidi.shipment_changes_kept = 'on';
UPDATE shipments s SET first_in_transit_at = f.at
FROM (SELECT shipment_id, min(occurred_at) AS at FROM tracking_events
      WHERE status = 'in_transit' GROUP BY shipment_id) f
WHERE s.id = f.shipment_id;
SET LOCAL kuaidi.shipment_changes_kept = 'off';
