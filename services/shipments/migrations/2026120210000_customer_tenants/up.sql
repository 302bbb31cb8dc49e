-- Which merchant's account each customer is (`customer.created`, `customer.tier_changed`): a
-- merchant may name only its own customers as a shipment's shipper.
CREATE TABLE customer_tenants (
    customer_id UUID PRIMARY KEY,
    merchant_id UUID
);
