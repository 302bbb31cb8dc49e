-- The whole customer file (SPEC §4): name search, consents, extras, classification results,
-- merges and erasure, interactions, follow-ups, and the remaining stats sources.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS unaccent;

-- Case- and accent-folded text for name search (unaccent itself is only STABLE).
CREATE FUNCTION customers_fold(t TEXT) RETURNS TEXT
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, t)) $$;

-- A UUID v7 for rows created by set-based jobs (ids sort by creation time like new_id()).
CREATE FUNCTION customers_uuid_v7(ts TIMESTAMPTZ) RETURNS UUID
    LANGUAGE sql VOLATILE
    AS $$
    SELECT encode(
        set_bit(set_bit(
            overlay(uuid_send(gen_random_uuid())
                    PLACING substring(int8send((extract(epoch FROM ts) * 1000)::BIGINT) FROM 3)
                    FROM 1 FOR 6),
            52, 1), 53, 1), 'hex')::UUID
    $$;

ALTER TABLE customers
    ADD COLUMN search_name  TEXT GENERATED ALWAYS AS (customers_fold(name)) STORED,
    -- {birthday, family}: AES-256-GCM sealed JSON, stored only with profile_extras consent.
    ADD COLUMN extras_sealed BYTEA,
    -- 'MM-DD' of the birthday, for the birthday-care rule; cleared with the extras.
    ADD COLUMN birthday_md  TEXT,
    -- {purpose: {granted, source, at}}: the current consents; history in consent_history.
    ADD COLUMN consents     JSONB NOT NULL DEFAULT '{}',
    ADD COLUMN rfm_r        SMALLINT,
    ADD COLUMN rfm_f        SMALLINT,
    ADD COLUMN rfm_m        SMALLINT,
    ADD COLUMN rfm_score    SMALLINT,
    ADD COLUMN merged_into  UUID,
    ADD COLUMN erased_at    TIMESTAMPTZ;

CREATE INDEX customers_search_name_trgm ON customers USING gin (search_name gin_trgm_ops);
CREATE INDEX customers_tags ON customers USING gin (tags);
CREATE INDEX customers_live ON customers (created_at DESC, id DESC)
    WHERE merged_into IS NULL AND erased_at IS NULL;
CREATE INDEX customers_merged_into ON customers (merged_into) WHERE merged_into IS NOT NULL;

CREATE TABLE consent_history (
    id          UUID PRIMARY KEY,
    customer_id UUID NOT NULL,
    purpose     TEXT NOT NULL,
    granted     BOOLEAN NOT NULL,
    source      TEXT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    actor       TEXT
);
CREATE INDEX consent_history_customer ON consent_history (customer_id, recorded_at);

CREATE TABLE interactions (
    id          UUID PRIMARY KEY,
    customer_id UUID NOT NULL,
    channel     TEXT NOT NULL,
    direction   TEXT NOT NULL,
    kind        TEXT NOT NULL,
    summary     TEXT NOT NULL,
    staff_id    UUID,
    occurred_at TIMESTAMPTZ NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    -- The event that logged it (`complaint.received:<id>`), so an event logs at most one.
    source      TEXT UNIQUE
);
CREATE INDEX interactions_customer ON interactions (customer_id, occurred_at DESC, id DESC);

CREATE TABLE follow_ups (
    id          UUID PRIMARY KEY,
    customer_id UUID NOT NULL,
    assignee_id UUID,
    due_at      TIMESTAMPTZ NOT NULL,
    reason      TEXT NOT NULL,
    -- The rule that created it (none for tasks made by hand).
    rule        TEXT,
    -- One task per trigger however often a rule runs (`complaint_callback:<complaint id>`).
    trigger_key TEXT UNIQUE,
    status      TEXT NOT NULL DEFAULT 'open',
    outcome     TEXT,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    closed_at   TIMESTAMPTZ
);
CREATE INDEX follow_ups_customer ON follow_ups (customer_id, due_at);
CREATE INDEX follow_ups_assignee ON follow_ups (assignee_id, status, due_at);

ALTER TABLE customer_complaints ADD COLUMN closed_at TIMESTAMPTZ;

-- Deliveries per customer and day (shipment.delivered), for on_time_rate.
CREATE TABLE customer_delivery_days (
    customer_id UUID NOT NULL,
    day         DATE NOT NULL,
    delivered   INT NOT NULL,
    on_time     INT NOT NULL,
    PRIMARY KEY (customer_id, day)
);

-- Survey answers about each customer's cases (survey.submitted), for csat_avg.
CREATE TABLE customer_surveys (
    survey_id    UUID PRIMARY KEY,
    customer_id  UUID NOT NULL,
    overall      SMALLINT NOT NULL,
    submitted_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX customer_surveys_customer ON customer_surveys (customer_id, submitted_at);

-- Merges with the snapshots that let them be undone exactly.
CREATE TABLE merges (
    id                 UUID PRIMARY KEY,
    survivor_id        UUID NOT NULL,
    duplicate_id       UUID NOT NULL,
    prefer             JSONB NOT NULL DEFAULT '{}',
    survivor_before    JSONB NOT NULL,
    duplicate_before   JSONB NOT NULL,
    identities_before  JSONB NOT NULL,
    moved_interactions UUID[] NOT NULL DEFAULT '{}',
    moved_follow_ups   UUID[] NOT NULL DEFAULT '{}',
    repointed          UUID[] NOT NULL DEFAULT '{}',
    actor              TEXT,
    merged_at          TIMESTAMPTZ NOT NULL,
    undone_at          TIMESTAMPTZ
);
CREATE INDEX merges_survivor ON merges (survivor_id);
CREATE INDEX merges_duplicate ON merges (duplicate_id);
