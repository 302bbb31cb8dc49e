DROP TABLE shipment_deliveries;
ALTER TABLE shipment_projection DROP COLUMN promised_at;
