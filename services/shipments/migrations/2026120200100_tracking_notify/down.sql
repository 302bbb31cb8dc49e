DROP TRIGGER shipments_tracking_changed ON shipments;
DROP FUNCTION shipments_notify_tracking();
