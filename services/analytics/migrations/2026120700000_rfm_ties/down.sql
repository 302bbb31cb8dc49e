DROP FUNCTION analytics_quintile(BIGINT, BIGINT);
