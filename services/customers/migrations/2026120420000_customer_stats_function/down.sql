DROP FUNCTION customer_stats(uuid[], date, date);
