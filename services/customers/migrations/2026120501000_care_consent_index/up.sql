-- Holiday care (SPEC §4) plans a task for every live customer who consented to care messages:
-- this index finds them without reading the whole table. Classification changes none of its
-- columns, so its updates stay HOT.
CREATE INDEX customers_care_consent ON customers (id)
    WHERE (consents -> 'care_messages' ->> 'granted')::boolean IS TRUE
      AND merged_into IS NULL AND erased_at IS NULL;
