ALTER TABLE customer_projection DROP COLUMN merchant_id;
