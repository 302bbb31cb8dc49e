-- What a `late` claim is assessed against (SPEC §6: "`late` on time-definite services →
-- freight refund"): the promise each shipment was created with (`shipment.created`; rows
-- projected before this migration have none), and its first delivery (`shipment.delivered`),
-- kept apart from the projection because a delivery may arrive before the creation it follows.
ALTER TABLE shipment_projection ADD COLUMN promised_at TIMESTAMPTZ;

CREATE TABLE shipment_deliveries (
    tracking_number TEXT PRIMARY KEY,
    delivered_at TIMESTAMPTZ NOT NULL,
    on_time BOOLEAN NOT NULL
);
