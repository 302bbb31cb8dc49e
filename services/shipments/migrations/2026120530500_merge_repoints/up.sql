-- What each customer merge changed here, so `customer.merge_undone` moves back exactly that
-- (SPEC §4: a merge can be undone). `customer_merges`: the merges this service followed, and
-- when one was undone (an undo handled before its merge — a retried delivery — makes the late
-- merge do nothing). `merge_repoints`: the rows a merge moved from the duplicate to the
-- survivor: shipments whose shipper it was (`shipment`), and files merged into the duplicate
-- earlier whose `customer_tenants.merged_into` the merge moved to the survivor (`file`).
-- Rows are forgotten when the merge is undone.
CREATE TABLE customer_merges (
    merge_id     UUID PRIMARY KEY,
    survivor_id  UUID NOT NULL,
    duplicate_id UUID NOT NULL,
    merged_at    TIMESTAMPTZ,
    undone_at    TIMESTAMPTZ
);

CREATE TABLE merge_repoints (
    merge_id UUID NOT NULL,
    entity   TEXT NOT NULL CHECK (entity IN ('shipment', 'file')),
    row_id   UUID NOT NULL,
    PRIMARY KEY (merge_id, entity, row_id)
);
