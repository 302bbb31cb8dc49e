-- Addresses a user signed in from successfully: a lock caused by failures elsewhere does not
-- apply to them (SPEC §3).
CREATE TABLE login_addresses (
    user_id         UUID NOT NULL REFERENCES users (id),
    ip              TEXT NOT NULL,
    last_success_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, ip)
);

-- When the login that started a refresh family happened: the absolute session lifetime.
ALTER TABLE refresh_tokens ADD COLUMN session_started_at TIMESTAMPTZ;
