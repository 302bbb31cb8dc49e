-- System clients (OAuth2 client credentials). Secrets are random, stored as SHA-256.
CREATE TABLE clients (
    id              UUID PRIMARY KEY,
    client_id       TEXT NOT NULL UNIQUE,
    secret_hash     TEXT NOT NULL,
    name            TEXT NOT NULL,
    role            TEXT NOT NULL,
    merchant_id     UUID,
    scopes          TEXT[] NOT NULL DEFAULT '{}',
    revoked_at      TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL,
    created_by      TEXT NOT NULL
);

-- Merchant API keys: shown once, stored as SHA-256, found by digest.
CREATE TABLE api_keys (
    id              UUID PRIMARY KEY,
    name            TEXT NOT NULL,
    merchant_id     UUID NOT NULL,
    prefix          TEXT NOT NULL,
    key_hash        TEXT NOT NULL UNIQUE,
    revoked_at      TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL,
    created_by      TEXT NOT NULL
);

-- Who did what: authentications, token issuance, unmasked PII reads, admin changes.
CREATE TABLE audit_log (
    id          BIGSERIAL PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL,
    principal   TEXT,
    role        TEXT,
    action      TEXT NOT NULL,
    target      TEXT,
    outcome     TEXT NOT NULL,
    request_id  TEXT,
    ip          TEXT,
    details     JSONB NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_principal ON audit_log (principal, at DESC);
CREATE INDEX audit_log_action ON audit_log (action, at DESC);

-- Idempotency-Key records (SPEC §2), scoped to the caller; kept 24 h.
CREATE TABLE idempotency_keys (
    principal       TEXT NOT NULL,
    key             TEXT NOT NULL,
    request_hash    TEXT NOT NULL,
    status          INT,
    headers         JSONB,
    body            BYTEA,
    created_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (principal, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- Optimistic concurrency for PATCH /users/{id} (ETag / If-Match).
ALTER TABLE users ADD COLUMN version INT NOT NULL DEFAULT 1;
