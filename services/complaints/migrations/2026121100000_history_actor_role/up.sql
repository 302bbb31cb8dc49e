-- The role each actor acted in (`admin`, `agent`, ..., `merchant`, `customer`; `system` for the
-- service itself), so what merchants and end customers read of a case's history can say who
-- acted ("staff", "merchant", "customer", "system") without naming staff or other people.
-- Entries written before have none: their readers infer it from the actor.
ALTER TABLE complaint_history ADD COLUMN actor_role TEXT;
