-- A re-send asked for by hand (`:redeliver`, `:replay`) is one more attempt beside the
-- automatic retry schedule (SPEC §5), which it neither advances nor moves: the schedule's place
-- is counted apart from the attempts, and the re-send has a due time of its own.
-- (`retry_started_at` is now only ever the delivery's creation: a re-send opens no new window.)
ALTER TABLE webhook_deliveries
    -- Automatic attempts made so far: a failure waits the delay of the next step.
    ADD COLUMN schedule_step INT NOT NULL DEFAULT 0,
    -- A re-send asked for and not made yet: due from then on; while it is sent, its lease.
    ADD COLUMN resend_due_at TIMESTAMPTZ;
-- Until now every attempt was a step. Only pending deliveries go on with the schedule.
UPDATE webhook_deliveries SET schedule_step = attempts WHERE status = 'pending';
CREATE INDEX webhook_deliveries_resend_due ON webhook_deliveries (resend_due_at)
    WHERE resend_due_at IS NOT NULL;
-- `last_error` is now shown to the endpoint's owner (`GET /webhooks/{id}/deliveries`), and only
-- for attempts that got no HTTP answer: earlier texts are put in the words used from now on,
-- and anything else, ours to fix rather than the owner's, said to be an internal error.
UPDATE webhook_deliveries SET last_error = CASE last_error
        WHEN 'request timed out' THEN 'timed out'
        WHEN 'request failed: no answer from the endpoint' THEN 'no HTTP answer'
        WHEN 'resolves to an address webhooks may not call' THEN 'target address not allowed'
        WHEN 'could not be resolved' THEN 'host name could not be resolved'
        WHEN 'must be an absolute http or https URL' THEN 'invalid URL'
        WHEN 'must name a host' THEN 'invalid URL'
        ELSE 'not sent: internal error' END
    WHERE last_error IS NOT NULL AND last_status_code IS NULL;
UPDATE webhook_deliveries SET last_error = NULL
    WHERE last_error IS NOT NULL AND last_status_code IS NOT NULL;
