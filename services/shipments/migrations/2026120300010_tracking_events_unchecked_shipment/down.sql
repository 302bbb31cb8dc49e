ALTER TABLE tracking_events ADD CONSTRAINT tracking_events_shipment_id_fkey
    FOREIGN KEY (shipment_id) REFERENCES shipments (id);
