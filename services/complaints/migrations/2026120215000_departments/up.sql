-- The complaint desk's departments (SPEC §6 `department`; seed 002 §3.1, ch. 6): who works in
-- each and who supervises it, kept by this service through its own API (`/api/v1/departments`),
-- so an assignment stays within the assignee's department and a breach reaches a person.
CREATE TABLE departments (
    name            TEXT PRIMARY KEY,
    supervisor_id   UUID,
    version         INT NOT NULL DEFAULT 1,
    updated_by      TEXT NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);
INSERT INTO departments (name, updated_by, updated_at)
SELECT d, 'system', '2026-01-01T00:00:00Z'
FROM unnest(ARRAY['customer_service', 'operations', 'legal', 'compliance', 'sales']) AS d;
CREATE INDEX departments_supervisor ON departments (supervisor_id);

-- One department per person: a member belongs where their roster says.
CREATE TABLE department_members (
    user_id         UUID PRIMARY KEY,
    department      TEXT NOT NULL REFERENCES departments (name),
    added_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX department_members_department ON department_members (department);

-- The supervisors' inbox: what the desk told a person (an SLA breach, an automatic
-- escalation). `recipient_id` is NULL when the department had no supervisor: every supervisor
-- sees it then.
CREATE TABLE staff_notifications (
    id              UUID PRIMARY KEY,
    recipient_id    UUID,
    department      TEXT NOT NULL,
    complaint_id    UUID NOT NULL REFERENCES complaints (id),
    kind            TEXT NOT NULL,
    payload         JSONB NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    read_at         TIMESTAMPTZ
);
CREATE INDEX staff_notifications_recipient ON staff_notifications (recipient_id, created_at DESC, id DESC);
