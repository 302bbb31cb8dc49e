-- Carrier scans (checkpoints) of a shipment, SPEC §5 "Tracking events".
CREATE TABLE tracking_events (
    shipment_id     UUID NOT NULL REFERENCES shipments (id),
    -- Caller-supplied id; ingestion is idempotent by (shipment, event_id).
    event_id        TEXT NOT NULL,
    -- Per-shipment, strictly increasing; shipments.last_sequence holds the latest.
    sequence        BIGINT NOT NULL,
    status          TEXT NOT NULL,
    substatus       TEXT,
    occurred_at     TIMESTAMPTZ NOT NULL,
    received_at     TIMESTAMPTZ NOT NULL,
    hub_code        TEXT,
    city            TEXT,
    province        TEXT,
    description     TEXT,
    courier_id      TEXT,
    PRIMARY KEY (shipment_id, event_id)
);
CREATE UNIQUE INDEX tracking_events_sequence ON tracking_events (shipment_id, sequence);

-- Lane history for the ETA (p80 of delivered_at - created_at over the last 30 days).
-- INCLUDE created_at so the percentile is an index-only scan.
CREATE INDEX shipments_lane_delivered ON shipments
    (origin_city, destination_city, service_level, delivered_at) INCLUDE (created_at)
    WHERE delivered_at IS NOT NULL;

-- The expiry sweep scans live shipments by their last activity.
CREATE INDEX shipments_live_activity ON shipments ((COALESCE(last_event_at, created_at)))
    WHERE status NOT IN ('delivered', 'expired');
