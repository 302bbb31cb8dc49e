DROP FUNCTION customers_quintile(BIGINT, BIGINT);
