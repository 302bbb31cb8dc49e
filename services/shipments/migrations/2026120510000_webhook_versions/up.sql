-- The version of a webhook subscription, its ETag (SPEC §2): every change of what its owner
-- sees or signs with — a PATCH, the endpoint disabled after failing or enabled again — makes a
-- new one, so an `If-Match` naming an older one is refused (412).
ALTER TABLE webhook_subscriptions ADD COLUMN version INT NOT NULL DEFAULT 1;
