DROP TABLE merges;
DROP TABLE customer_surveys;
DROP TABLE customer_delivery_days;
ALTER TABLE customer_complaints DROP COLUMN closed_at;
DROP TABLE follow_ups;
DROP TABLE interactions;
DROP TABLE consent_history;
DROP INDEX customers_merged_into;
DROP INDEX customers_live;
DROP INDEX customers_tags;
DROP INDEX customers_search_name_trgm;
ALTER TABLE customers
    DROP COLUMN search_name, DROP COLUMN extras_sealed, DROP COLUMN birthday_md,
    DROP COLUMN consents, DROP COLUMN rfm_r, DROP COLUMN rfm_f, DROP COLUMN rfm_m,
    DROP COLUMN rfm_score, DROP COLUMN merged_into, DROP COLUMN erased_at;
DROP FUNCTION customers_uuid_v7(TIMESTAMPTZ);
DROP FUNCTION customers_fold(TEXT);
