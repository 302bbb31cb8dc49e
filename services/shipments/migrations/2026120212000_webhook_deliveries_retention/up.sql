-- The retention job deletes finished deliveries oldest first, in small batches: an index on
-- the last attempt's time keeps each batch a short range scan.
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (updated_at) WHERE status <> 'pending';
