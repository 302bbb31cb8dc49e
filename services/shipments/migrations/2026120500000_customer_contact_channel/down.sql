ALTER TABLE customer_tenants
    DROP COLUMN contact_channel,
    DROP COLUMN channel_version;
