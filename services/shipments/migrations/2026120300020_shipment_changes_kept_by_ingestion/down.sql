DROP TRIGGER shipments_changes_updated ON shipments;
CREATE TRIGGER shipments_changes_updated
    AFTER UPDATE ON shipments
    REFERENCING OLD TABLE AS before NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION shipments_changes_updated();
