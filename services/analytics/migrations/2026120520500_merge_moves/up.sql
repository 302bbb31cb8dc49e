-- What each customer merge moved here, so `customer.merge_undone` moves back exactly that
-- (SPEC §4: a merge can be undone): the duplicate's `customers` row the merge deleted, and its
-- `customer_days` and `customer_activity` rows the merge added to the survivor's, as they were.
-- `undone_at` marks an undo (one handled before its merge — a retried delivery — leaves a row
-- with `merged` false, and the late merge then does nothing); the moved rows are forgotten then.
CREATE TABLE merge_moves (
    merge_id     UUID PRIMARY KEY,
    survivor_id  UUID NOT NULL,
    duplicate_id UUID NOT NULL,
    merged       BOOLEAN NOT NULL DEFAULT false,
    customer     JSONB,
    days         JSONB NOT NULL DEFAULT '[]',
    activity     JSONB NOT NULL DEFAULT '[]',
    undone_at    TIMESTAMPTZ
);
