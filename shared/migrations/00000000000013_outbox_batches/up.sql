-- A row may hold a batch of events of one type (a JSON array of envelopes, published as one
-- `application/cloudevents-batch+json` message): `events` says how many, so the relay can
-- claim a bounded number of events per round without reading the envelopes first.
ALTER TABLE outbox ADD COLUMN events INT NOT NULL DEFAULT 1;
