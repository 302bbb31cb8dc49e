DROP INDEX customer_projection_phone_hashes;
ALTER TABLE customer_projection
    DROP COLUMN phone_hashes,
    DROP COLUMN phones_version,
    DROP COLUMN merged_into,
    DROP COLUMN erased_at;
