-- Public tracking answers are cached in every replica (SPEC §9); a change to a shipment — an
-- accepted scan always moves `last_sequence` — tells every replica which tracking numbers to
-- forget, at commit, on the channel `shipments_tracking` (comma-separated numbers, at most 200
-- per notification so a payload stays under PostgreSQL's 8000 bytes).
CREATE FUNCTION shipments_notify_tracking() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    part TEXT;
BEGIN
    FOR part IN
        SELECT string_agg(tracking_number, ',')
        FROM (SELECT tracking_number, (row_number() OVER ()) / 200 AS chunk FROM changed) c
        GROUP BY chunk
    LOOP
        PERFORM pg_notify('shipments_tracking', part);
    END LOOP;
    RETURN NULL;
END
$$;

CREATE TRIGGER shipments_tracking_changed
    AFTER UPDATE ON shipments
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION shipments_notify_tracking();
