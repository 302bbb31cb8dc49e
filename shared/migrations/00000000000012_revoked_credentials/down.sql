DROP TABLE revoked_credentials;
