-- Measured by `make bench` at 100,000 open cases (issue 9): the sweep's partial indexes also
-- say which SLA event a case has not had yet, so a run reads only the cases crossing a
-- threshold, never every case that crossed it before (the sweep spells each flag as the same
-- literal); and a handler's own queue (`assignee=me`) is read in SLA order from its own index.
DROP INDEX complaints_open_fr_warn;
DROP INDEX complaints_open_fr_due;
DROP INDEX complaints_open_res_warn;
DROP INDEX complaints_open_res_due;
CREATE INDEX complaints_sla_fr_warn ON complaints (first_response_warn_at)
    WHERE status NOT IN ('closed', 'awaiting_feedback') AND first_responded_at IS NULL AND sla_flags & 1 = 0;
CREATE INDEX complaints_sla_fr_due ON complaints (first_response_due)
    WHERE status NOT IN ('closed', 'awaiting_feedback') AND first_responded_at IS NULL AND sla_flags & 2 = 0;
CREATE INDEX complaints_sla_res_warn ON complaints (resolution_warn_at)
    WHERE status NOT IN ('closed', 'awaiting_feedback') AND sla_flags & 4 = 0;
CREATE INDEX complaints_sla_res_due ON complaints (resolution_due)
    WHERE status NOT IN ('closed', 'awaiting_feedback') AND sla_flags & 8 = 0;
CREATE INDEX complaints_assignee_queue ON complaints (assignee_id, sla_due, id) WHERE assignee_id IS NOT NULL;
