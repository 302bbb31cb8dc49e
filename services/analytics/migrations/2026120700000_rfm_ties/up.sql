-- RFM quintiles as the customers service scores them (its migration rfm_ties): the quintile
-- of the 1-based position `pos` of `n` ranked lowest first, as NTILE(5) deals them (the first
-- n % 5 quintiles get one more). The segments ask it for the middle position of a customer's
-- group of equal values, so ties score alike.
CREATE FUNCTION analytics_quintile(pos BIGINT, n BIGINT) RETURNS INTEGER
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT (CASE
    WHEN pos <= (n % 5) * (n / 5 + 1) THEN (pos - 1) / (n / 5 + 1) + 1
    ELSE (n % 5) + (pos - (n % 5) * (n / 5 + 1) - 1) / (n / 5) + 1
  END)::integer
$$;
