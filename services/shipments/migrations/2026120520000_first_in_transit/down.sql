ALTER TABLE shipments DROP COLUMN first_in_transit_at;
