-- What a merge left on both records, beside what they were before it: an undo puts a field
-- back only where it still holds what the merge left, so a change made since (a handover, an
-- edit) stays. Merges made before this have none, and their undo puts both records back whole.
ALTER TABLE merges ADD COLUMN survivor_after JSONB, ADD COLUMN duplicate_after JSONB;
