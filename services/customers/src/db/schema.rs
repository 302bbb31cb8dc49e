// @generated automatically by Diesel CLI.

diesel::table! {
    customer_complaints (complaint_id) {
        complaint_id -> Uuid,
        customer_id -> Uuid,
        received_at -> Timestamptz,
        is_open -> Bool,
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
    }
}

diesel::joinable!(customer_identities -> customers (customer_id));

diesel::allow_tables_to_appear_in_same_query!(
    customer_complaints,
    customer_identities,
    customer_shipment_days,
    customers,
);
