-- Ingestion keeps `shipment_changes` itself, in a statement of its own with the old keys it
-- read under lock (`db::tracking_events::update_all`), and tells the update trigger so for
-- its statement through a transaction-local setting. Measured on the bench's table: the same
-- 1,000 rows moved by that statement in 10-13 ms, by the trigger (PL/pgSQL, the transition
-- tables joined, planned per call) in 14-20 ms; triggers were 10 % of the machine's samples
-- under the ingestion load. Every other writer of `shipments` still relies on the trigger.
DROP TRIGGER shipments_changes_updated ON shipments;
CREATE TRIGGER shipments_changes_updated
    AFTER UPDATE ON shipments
    REFERENCING OLD TABLE AS before NEW TABLE AS changed
    FOR EACH STATEMENT
    WHEN (current_setting('kuaidi.shipment_changes_kept', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION shipments_changes_updated();
