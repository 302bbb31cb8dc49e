-- A shipment's scans are numbered under its row lock (ingestion locks the shipments of a batch
-- and numbers their new events from `shipments.last_sequence`), so `(shipment_id, sequence)` is
-- unique by construction; no read walks that index either (a timeline is ordered by
-- `occurred_at, sequence`, fetched by the primary key's `shipment_id` prefix). Its upkeep was a
-- third of the cost of inserting a batch's events: 1,000 rows in 14 ms with it, 8 ms without.
DROP INDEX tracking_events_sequence;
