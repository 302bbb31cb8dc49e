-- Places are stored normalised (`domain::location`): hub codes trimmed and upper-cased, cities
-- and provinces trimmed, a blank optional part NULL — one hub is one code (an impact query for
-- `HBF7B404` finds the scans at `hbf7b404`), one city one lane (`北京 ` is `北京`). The service
-- writes them so from now on; this brings the rows stored before to the same form, with the
-- same rules: whitespace is Unicode's, as Rust's `str::trim` has it (U+3000 too), and only
-- ASCII letters change case. A shipment whose places or scans change gets a new `version`
-- (its ETags change: a cached answer is not served unchanged); `updated_at` stays, so the
-- merchants' incremental pull does not list every normalised shipment as a change.
CREATE FUNCTION pg_temp.kuaidi_name(t TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $$
    SELECT NULLIF(btrim(t, E' \t\n\u000B\f\r\u0085\u00A0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200A\u2028\u2029\u202F\u205F\u3000'), '')
$$;
CREATE FUNCTION pg_temp.kuaidi_hub(t TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $$
    SELECT translate(pg_temp.kuaidi_name(t), 'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ')
$$;

-- `shipment_changes` is left alone: `updated_at` does not move.
SET LOCAL kuaidi.shipment_changes_kept = 'on';

UPDATE shipments SET
    origin_city = COALESCE(pg_temp.kuaidi_name(origin_city), origin_city),
    origin_province = pg_temp.kuaidi_name(origin_province),
    origin_hub_code = pg_temp.kuaidi_hub(origin_hub_code),
    destination_city = COALESCE(pg_temp.kuaidi_name(destination_city), destination_city),
    destination_province = pg_temp.kuaidi_name(destination_province),
    destination_hub_code = pg_temp.kuaidi_hub(destination_hub_code),
    version = version + 1
WHERE origin_city IS DISTINCT FROM COALESCE(pg_temp.kuaidi_name(origin_city), origin_city)
   OR origin_province IS DISTINCT FROM pg_temp.kuaidi_name(origin_province)
   OR origin_hub_code IS DISTINCT FROM pg_temp.kuaidi_hub(origin_hub_code)
   OR destination_city IS DISTINCT FROM COALESCE(pg_temp.kuaidi_name(destination_city), destination_city)
   OR destination_province IS DISTINCT FROM pg_temp.kuaidi_name(destination_province)
   OR destination_hub_code IS DISTINCT FROM pg_temp.kuaidi_hub(destination_hub_code);

WITH renamed AS (
    UPDATE tracking_events SET
        hub_code = pg_temp.kuaidi_hub(hub_code),
        city = pg_temp.kuaidi_name(city),
        province = pg_temp.kuaidi_name(province)
    WHERE hub_code IS DISTINCT FROM pg_temp.kuaidi_hub(hub_code)
       OR city IS DISTINCT FROM pg_temp.kuaidi_name(city)
       OR province IS DISTINCT FROM pg_temp.kuaidi_name(province)
    RETURNING shipment_id)
UPDATE shipments SET version = version + 1
WHERE id IN (SELECT shipment_id FROM renamed);

SET LOCAL kuaidi.shipment_changes_kept = 'off';
DROP FUNCTION pg_temp.kuaidi_hub(TEXT);
DROP FUNCTION pg_temp.kuaidi_name(TEXT);
