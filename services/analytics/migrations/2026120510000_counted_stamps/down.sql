ALTER TABLE shipment_facts ADD COLUMN names TEXT[] NOT NULL DEFAULT '{}';
UPDATE shipment_facts SET names = ARRAY(SELECT jsonb_object_keys(counted) ORDER BY 1)
WHERE counted <> '{}';
ALTER TABLE shipment_facts DROP COLUMN counted;
ALTER TABLE shipment_facts RENAME COLUMN names TO counted;
