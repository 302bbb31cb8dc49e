-- A value tier set by hand (on creation or by an edit) is kept by the classification runs
-- until an edit gives the tier back to the rules (`value_tier_source: rules`).
ALTER TABLE customers ADD COLUMN value_tier_manual BOOLEAN NOT NULL DEFAULT false;
