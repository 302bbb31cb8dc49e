ALTER TABLE improvement_actions
    DROP CONSTRAINT improvement_measures_are_numbers_or_words,
    ALTER COLUMN baseline TYPE TEXT USING baseline #>> '{}',
    ALTER COLUMN result TYPE TEXT USING result #>> '{}';
