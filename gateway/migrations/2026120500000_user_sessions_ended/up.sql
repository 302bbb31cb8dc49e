-- When a user's sessions last ended (deactivated, password or role changed): their access
-- tokens issued up to that second are refused, at the gateway and, through the
-- `user.sessions_ended` event, by every service.
ALTER TABLE users ADD COLUMN sessions_ended_at timestamptz;
