// @generated automatically by Diesel CLI.

diesel::table! {
    complaint_history (id) {
        id -> Int8,
        complaint_id -> Uuid,
        actor -> Text,
        action -> Text,
        from_status -> Nullable<Text>,
        to_status -> Text,
        payload -> Jsonb,
        at -> Timestamptz,
    }
}

diesel::table! {
    complaint_numbers (day) {
        day -> Date,
        last -> Int4,
    }
}

diesel::table! {
    complaints (id) {
        id -> Uuid,
        number -> Text,
        #[sql_name = "type"]
        type_ -> Text,
        channel -> Text,
        customer_id -> Nullable<Uuid>,
        tracking_number -> Nullable<Text>,
        merchant_id -> Nullable<Uuid>,
        category -> Nullable<Text>,
        priority -> Text,
        description -> Text,
        reasonable -> Nullable<Bool>,
        department -> Nullable<Text>,
        assignee_id -> Nullable<Uuid>,
        escalation_level -> Int4,
        status -> Text,
        first_response_due -> Timestamptz,
        resolution_due -> Timestamptz,
        first_responded_at -> Nullable<Timestamptz>,
        sla_warned -> Bool,
        sla_breached -> Bool,
        root_cause -> Nullable<Text>,
        resolution -> Nullable<Text>,
        satisfaction -> Nullable<Int4>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        version -> Int4,
        duplicate_of -> Nullable<Uuid>,
    }
}

diesel::table! {
    shipment_projection (tracking_number) {
        tracking_number -> Text,
        shipment_id -> Uuid,
        merchant_id -> Nullable<Uuid>,
        shipper_customer_id -> Nullable<Uuid>,
        service_level -> Text,
        currency -> Text,
        freight_minor -> Int8,
        declared_value_minor -> Nullable<Int8>,
        destination_city -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    sla_policies (category, priority) {
        category -> Text,
        priority -> Text,
        first_response_minutes -> Int4,
        resolution_minutes -> Int4,
    }
}

diesel::joinable!(complaint_history -> complaints (complaint_id));

diesel::allow_tables_to_appear_in_same_query!(
    complaint_history,
    complaint_numbers,
    complaints,
    shipment_projection,
    sla_policies,
);
