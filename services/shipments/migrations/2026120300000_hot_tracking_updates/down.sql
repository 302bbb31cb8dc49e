DROP TRIGGER shipments_changes_updated ON shipments;
DROP TRIGGER shipments_changes_inserted ON shipments;
DROP FUNCTION shipments_changes_updated();
DROP FUNCTION shipments_changes_inserted();
CREATE INDEX shipments_merchant_updated ON shipments (merchant_id, updated_at, id);
DROP TABLE shipment_changes;
DROP INDEX shipments_live_created;
ALTER TABLE shipments DROP COLUMN live;
CREATE INDEX shipments_live_activity ON shipments ((COALESCE(last_event_at, created_at)))
    WHERE status NOT IN ('delivered', 'expired');
ALTER TABLE shipments RESET (fillfactor);
