DROP INDEX customer_tenants_phone_hashes;
ALTER TABLE customer_tenants
    DROP COLUMN phone_hashes,
    DROP COLUMN phones_version,
    DROP COLUMN merged_into,
    DROP COLUMN erased_at;
