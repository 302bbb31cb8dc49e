-- Webhook subscriptions and their persisted delivery queue (SPEC §5 Webhooks).
CREATE TABLE webhook_subscriptions (
    id              UUID PRIMARY KEY,
    -- Who owns it: a merchant (merchant_id set) or, for app/admin callers, the token subject.
    merchant_id     UUID,
    owner_sub       TEXT,
    url             TEXT NOT NULL,
    -- Event types, or '*' for every deliverable type.
    events          TEXT[] NOT NULL,
    -- HMAC-SHA256 signing secret (shown to the owner once, at registration), sealed with the
    -- service's AES-256-GCM key like PII: a database dump does not let anyone forge events.
    secret_sealed   BYTEA NOT NULL,
    -- Start of the current unbroken run of failed attempts; NULL after a success.
    failing_since   TIMESTAMPTZ,
    disabled_at     TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL,
    CHECK (merchant_id IS NOT NULL OR owner_sub IS NOT NULL)
);
CREATE INDEX webhook_subscriptions_merchant ON webhook_subscriptions (merchant_id);
CREATE INDEX webhook_subscriptions_owner ON webhook_subscriptions (owner_sub);

CREATE TABLE webhook_deliveries (
    id                  UUID PRIMARY KEY,
    subscription_id     UUID NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    event_id            UUID NOT NULL,
    event_type          TEXT NOT NULL,
    -- The CloudEvent, sent as the request body.
    payload             JSONB NOT NULL,
    -- pending | succeeded | failed
    status              TEXT NOT NULL DEFAULT 'pending',
    attempts            INT NOT NULL DEFAULT 0,
    last_status_code    INT,
    last_latency_ms     INT,
    last_error          TEXT,
    -- When the worker may next send it; also the lease of a worker that claimed it.
    next_attempt_at     TIMESTAMPTZ NOT NULL,
    -- Start of the current retry window (creation, or the last redeliver/replay).
    retry_started_at    TIMESTAMPTZ NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL,
    UNIQUE (subscription_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_by_subscription ON webhook_deliveries (subscription_id, created_at, id);
