-- RFM quintiles (SPEC §4: each scored 1–5 by quintile), one rule for the customers service's
-- scores and the analytics segments: the quintile of the 1-based position `pos` of `n` ranked
-- lowest first, as NTILE(5) deals them (the first n % 5 quintiles get one more). Both ask it
-- for the middle position of a customer's group of equal values, so equal values score alike;
-- with no ties it is NTILE(5) itself.
CREATE FUNCTION kuaidi_quintile(pos BIGINT, n BIGINT) RETURNS INTEGER
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT (CASE
    WHEN pos <= (n % 5) * (n / 5 + 1) THEN (pos - 1) / (n / 5 + 1) + 1
    ELSE (n % 5) + (pos - (n % 5) * (n / 5 + 1) - 1) / (n / 5) + 1
  END)::integer
$$;
