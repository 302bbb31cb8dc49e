-- Each customer's preferred contact channel (`preferences.contact_channel`, from
-- `customer.created` / `customer.updated`; not PII), so `notification.requested` goes out on the
-- channel the customer wants (SPEC §5 "Proactive notifications"). `channel_version` orders
-- out-of-order updates as `phones_version` does the phones; an erasure clears the channel.
-- Kept by this service's own code (`db::customers::CHANNELS`), beside the shared projections'
-- columns of the same table.
ALTER TABLE customer_tenants
    ADD COLUMN contact_channel TEXT,
    ADD COLUMN channel_version BIGINT;
