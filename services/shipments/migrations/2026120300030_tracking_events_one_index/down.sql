CREATE UNIQUE INDEX tracking_events_sequence ON tracking_events (shipment_id, sequence);
