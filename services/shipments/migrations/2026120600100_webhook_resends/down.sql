-- The words of `last_error` stay as `up.sql` put them.
DROP INDEX webhook_deliveries_resend_due;
ALTER TABLE webhook_deliveries DROP COLUMN resend_due_at, DROP COLUMN schedule_step;
