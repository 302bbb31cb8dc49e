ALTER TABLE users DROP COLUMN version;
DROP TABLE idempotency_keys;
DROP TABLE audit_log;
DROP TABLE api_keys;
DROP TABLE clients;
