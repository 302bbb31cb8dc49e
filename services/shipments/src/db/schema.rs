// @generated automatically by Diesel CLI.

diesel::table! {
    shipments (id) {
        id -> Uuid,
        tracking_number -> Text,
        merchant_id -> Nullable<Uuid>,
        shipper_customer_id -> Nullable<Uuid>,
        recipient_sealed -> Bytea,
        recipient_phone_index -> Text,
        origin_city -> Text,
        origin_province -> Nullable<Text>,
        origin_hub_code -> Nullable<Text>,
        destination_city -> Text,
        destination_province -> Nullable<Text>,
        destination_hub_code -> Nullable<Text>,
        service_level -> Text,
        carrier -> Nullable<Text>,
        lane -> Nullable<Text>,
        weight_kg -> Float8,
        pieces -> Int4,
        currency -> Text,
        freight_minor -> Int8,
        declared_value_minor -> Nullable<Int8>,
        cod_amount_minor -> Nullable<Int8>,
        promised_at -> Timestamptz,
        estimated_delivery_at -> Nullable<Timestamptz>,
        status -> Text,
        substatus -> Nullable<Text>,
        delivered_at -> Nullable<Timestamptz>,
        signed_by -> Nullable<Text>,
        last_event_at -> Nullable<Timestamptz>,
        last_sequence -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        version -> Int4,
        // `live` (generated from status, for the expiry sweep's index) is read by SQL only, and
        // so is `first_in_transit_at` (ingestion's; diesel's tables hold at most 32 columns).
    }
}

diesel::table! {
    shipment_changes (merchant_id, changed_at, shipment_id) {
        merchant_id -> Uuid,
        changed_at -> Timestamptz,
        shipment_id -> Uuid,
    }
}

diesel::joinable!(shipment_changes -> shipments (shipment_id));
diesel::allow_tables_to_appear_in_same_query!(shipments, shipment_changes);

diesel::table! {
    customer_tenants (customer_id) {
        customer_id -> Uuid,
        merchant_id -> Nullable<Uuid>,
        phone_hashes -> Array<Text>,
        phones_version -> Nullable<Int8>,
        merged_into -> Nullable<Uuid>,
        erased_at -> Nullable<Timestamptz>,
        contact_channel -> Nullable<Text>,
        channel_version -> Nullable<Int8>,
    }
}
