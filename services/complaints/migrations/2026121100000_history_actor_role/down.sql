ALTER TABLE complaint_history DROP COLUMN actor_role;
