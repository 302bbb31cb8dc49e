-- The baseline and result of an improvement action are kept as given: a number (0.05) stays a
-- number, words ("0.8%") stay words. What was stored as text becomes JSON strings.
ALTER TABLE improvement_actions
    ALTER COLUMN baseline TYPE JSONB USING to_jsonb(baseline),
    ALTER COLUMN result TYPE JSONB USING to_jsonb(result),
    ADD CONSTRAINT improvement_measures_are_numbers_or_words CHECK (
        (baseline IS NULL OR jsonb_typeof(baseline) IN ('number', 'string'))
        AND (result IS NULL OR jsonb_typeof(result) IN ('number', 'string'))
    );
