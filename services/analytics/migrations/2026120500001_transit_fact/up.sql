-- A delivered shipment's transit time is now a fact of its own (`transit`), counted once both
-- its first in-transit scan and its delivery are known, in either order. Deliveries counted
-- before carried their transit time when the scan was known then; which were is not recorded,
-- so every counted delivery whose scan is known now is taken as having carried it (never
-- counted twice; a sample whose scan came after its delivery stays missing, as it was).
UPDATE shipment_facts SET counted = counted || ARRAY['transit']
WHERE 'delivered' = ANY (counted) AND NOT ('transit' = ANY (counted))
  AND in_transit_at IS NOT NULL AND delivered_at IS NOT NULL AND in_transit_at <= delivered_at;
