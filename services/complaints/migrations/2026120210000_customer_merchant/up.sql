-- The merchant whose account a customer is (`customer.created`): a merchant may name only its
-- own customers in a case.
ALTER TABLE customer_projection ADD COLUMN merchant_id UUID;
