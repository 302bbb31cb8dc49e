// @generated automatically by Diesel CLI.

diesel::table! {
    customer_complaints (complaint_id) {
        complaint_id -> Uuid,
        customer_id -> Uuid,
        received_at -> Timestamptz,
        is_open -> Bool,
        closed_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    customer_identities (kind, digest, customer_id) {
        kind -> Text,
        digest -> Text,
        customer_id -> Uuid,
    }
}

diesel::table! {
    customer_shipment_days (customer_id, day, currency) {
        customer_id -> Uuid,
        day -> Date,
        currency -> Text,
        shipments -> Int4,
        spend_minor -> Int8,
        last_shipment_at -> Timestamptz,
    }
}

diesel::table! {
    customers (id) {
        id -> Uuid,
        kind -> Text,
        name -> Text,
        contacts_sealed -> Bytea,
        company -> Nullable<Jsonb>,
        industry -> Nullable<Text>,
        size -> Nullable<Text>,
        region_city -> Nullable<Text>,
        region_province -> Nullable<Text>,
        city_tier -> Nullable<Text>,
        lanes -> Array<Text>,
        preferences -> Jsonb,
        tags -> Array<Text>,
        owner_id -> Nullable<Uuid>,
        merchant_id -> Nullable<Uuid>,
        value_tier -> Text,
        lifecycle_stage -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        version -> Int4,
        search_name -> Nullable<Text>,
        extras_sealed -> Nullable<Bytea>,
        birthday_index -> Nullable<Text>,
        consents -> Jsonb,
        rfm_r -> Nullable<Int2>,
        rfm_f -> Nullable<Int2>,
        rfm_m -> Nullable<Int2>,
        rfm_score -> Nullable<Int2>,
        merged_into -> Nullable<Uuid>,
        erased_at -> Nullable<Timestamptz>,
        value_tier_manual -> Bool,
    }
}

diesel::table! {
    consent_history (id) {
        id -> Uuid,
        customer_id -> Uuid,
        purpose -> Text,
        granted -> Bool,
        source -> Text,
        recorded_at -> Timestamptz,
        actor -> Nullable<Text>,
    }
}

diesel::table! {
    customer_delivery_days (customer_id, day) {
        customer_id -> Uuid,
        day -> Date,
        delivered -> Int4,
        on_time -> Int4,
    }
}

diesel::table! {
    customer_surveys (survey_id) {
        survey_id -> Uuid,
        customer_id -> Uuid,
        overall -> Int2,
        submitted_at -> Timestamptz,
    }
}

diesel::table! {
    follow_ups (id) {
        id -> Uuid,
        customer_id -> Uuid,
        assignee_id -> Nullable<Uuid>,
        due_at -> Timestamptz,
        reason -> Text,
        rule -> Nullable<Text>,
        trigger_key -> Nullable<Text>,
        status -> Text,
        outcome -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        closed_at -> Nullable<Timestamptz>,
        version -> Int4,
    }
}

diesel::table! {
    interactions (id) {
        id -> Uuid,
        customer_id -> Uuid,
        channel -> Text,
        direction -> Text,
        kind -> Text,
        summary -> Text,
        staff_id -> Nullable<Uuid>,
        occurred_at -> Timestamptz,
        created_at -> Timestamptz,
        source -> Nullable<Text>,
    }
}

diesel::table! {
    merges (id) {
        id -> Uuid,
        survivor_id -> Uuid,
        duplicate_id -> Uuid,
        prefer -> Jsonb,
        survivor_before -> Jsonb,
        duplicate_before -> Jsonb,
        identities_before -> Jsonb,
        moved_interactions -> Array<Uuid>,
        moved_follow_ups -> Array<Uuid>,
        repointed -> Array<Uuid>,
        actor -> Nullable<Text>,
        merged_at -> Timestamptz,
        undone_at -> Nullable<Timestamptz>,
        survivor_after -> Nullable<Jsonb>,
        duplicate_after -> Nullable<Jsonb>,
    }
}

diesel::joinable!(customer_identities -> customers (customer_id));

diesel::allow_tables_to_appear_in_same_query!(
    consent_history,
    customer_complaints,
    customer_delivery_days,
    customer_surveys,
    follow_ups,
    interactions,
    merges,
    customer_identities,
    customer_shipment_days,
    customers,
);
