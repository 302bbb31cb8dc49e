-- Follow-ups are versioned like customers (SPEC §2): every change moves `version`, which a
-- task's ETag carries, so `PATCH /follow-ups/{id}` with a stale `If-Match` is a 412.
ALTER TABLE follow_ups ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
