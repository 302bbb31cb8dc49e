-- The retention job deletes the oldest processed-event records in small batches: an index on
-- the time keeps each batch a short index range scan instead of a scan of the whole table.
CREATE INDEX processed_events_processed_at ON processed_events (processed_at);
