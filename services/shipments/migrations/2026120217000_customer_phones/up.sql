-- Which customer files are whose: the blind indexes of each customer's phones (from
-- `customer.created` / `customer.updated`, never the phones), so an end customer's token
-- (`phone_hash`) finds the parcels they sent as well as those sent to them. The projection's
-- logic is shared (`kuaidi_shared::projections::customer_phones`): `phones_version` orders
-- out-of-order updates; `merged_into` and `erased_at` let a merge and an erasure reach every
-- copy of the phones.
ALTER TABLE customer_tenants
    ADD COLUMN phone_hashes   TEXT[] NOT NULL DEFAULT '{}',
    ADD COLUMN phones_version BIGINT,
    ADD COLUMN merged_into    UUID,
    ADD COLUMN erased_at      TIMESTAMPTZ;

CREATE INDEX customer_tenants_phone_hashes ON customer_tenants USING GIN (phone_hashes);
