DROP INDEX complaints_assignee_queue;
DROP INDEX complaints_sla_fr_warn;
DROP INDEX complaints_sla_fr_due;
DROP INDEX complaints_sla_res_warn;
DROP INDEX complaints_sla_res_due;
CREATE INDEX complaints_open_fr_warn ON complaints (first_response_warn_at)
    WHERE status NOT IN ('closed', 'awaiting_feedback') AND first_responded_at IS NULL;
CREATE INDEX complaints_open_res_warn ON complaints (resolution_warn_at)
    WHERE status NOT IN ('closed', 'awaiting_feedback');
CREATE INDEX complaints_open_fr_due ON complaints (first_response_due)
    WHERE status NOT IN ('closed', 'awaiting_feedback') AND first_responded_at IS NULL;
CREATE INDEX complaints_open_res_due ON complaints (resolution_due)
    WHERE status NOT IN ('closed', 'awaiting_feedback');
