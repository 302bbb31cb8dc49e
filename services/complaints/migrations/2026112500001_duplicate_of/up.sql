-- A case later found to repeat another (merged at triage) names the case it repeats. Intake
-- itself never stores a duplicate: it answers with the open case instead (SPEC §6).
ALTER TABLE complaints ADD COLUMN duplicate_of UUID REFERENCES complaints (id);
