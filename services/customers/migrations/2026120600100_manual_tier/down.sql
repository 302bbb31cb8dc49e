ALTER TABLE customers DROP COLUMN value_tier_manual;
