-- Owned by the shared crate: the machine credentials the gateway revoked (`client.revoked`,
-- `api_key.revoked`), by the `sub` claim of their tokens. Every replica of a service loads it
-- into its deny list; rows are purged once no token they could refuse is still alive. (The
-- gateway's database has the table too, unused: it checks its own clients and keys.)
CREATE TABLE revoked_credentials (
    subject     TEXT PRIMARY KEY,
    revoked_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX revoked_credentials_revoked_at ON revoked_credentials (revoked_at);
