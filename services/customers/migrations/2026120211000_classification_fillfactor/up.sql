-- The classification rewrites tier, stage and RFM of most customers in one statement; none of
-- those columns is indexed, so with room left on each page the updates are HOT (no index
-- entries to write, the trigram and tag indexes included). Applies to pages written from now on.
ALTER TABLE customers SET (fillfactor = 80);
