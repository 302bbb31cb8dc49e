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
        actor_role -> Nullable<Text>,
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
        root_cause -> Nullable<Text>,
        resolution -> Nullable<Text>,
        satisfaction -> Nullable<Int4>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        version -> Int4,
        duplicate_of -> Nullable<Uuid>,
        proactive -> Bool,
        reporter_phone_hash -> Nullable<Text>,
        resolution_code -> Nullable<Text>,
        proposal -> Nullable<Jsonb>,
        first_response_warn_at -> Timestamptz,
        resolution_warn_at -> Timestamptz,
        sla_flags -> Int4,
    }
}

diesel::table! {
    shipment_deliveries (tracking_number) {
        tracking_number -> Text,
        delivered_at -> Timestamptz,
        on_time -> Bool,
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
        recipient_phone_hash -> Nullable<Text>,
        promised_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    sla_policies (category, priority) {
        category -> Text,
        priority -> Text,
        first_response_minutes -> Int4,
        resolution_minutes -> Int4,
        calendar -> Nullable<Jsonb>,
        version -> Int4,
    }
}

diesel::table! {
    sla_policy_versions (version) {
        version -> Int4,
        changed_by -> Text,
        changed_at -> Timestamptz,
        changes -> Jsonb,
    }
}

diesel::table! {
    customer_projection (customer_id) {
        customer_id -> Uuid,
        tier -> Nullable<Text>,
        tier_changed_at -> Nullable<Timestamptz>,
        owner_id -> Nullable<Uuid>,
        owner_changed_at -> Nullable<Timestamptz>,
        merchant_id -> Nullable<Uuid>,
        phone_hashes -> Array<Text>,
        phones_version -> Nullable<Int8>,
        merged_into -> Nullable<Uuid>,
        erased_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    evidence (id) {
        id -> Uuid,
        complaint_id -> Uuid,
        kind -> Text,
        description -> Nullable<Text>,
        uri -> Nullable<Text>,
        content_type -> Nullable<Text>,
        size_bytes -> Nullable<Int8>,
        sha256 -> Nullable<Text>,
        added_by -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    evidence_content (evidence_id) {
        evidence_id -> Uuid,
        content -> Bytea,
    }
}

diesel::table! {
    surveys (id) {
        id -> Uuid,
        complaint_id -> Uuid,
        overall -> Int2,
        speed -> Nullable<Int2>,
        effectiveness -> Nullable<Int2>,
        attitude -> Nullable<Int2>,
        suggestion -> Nullable<Text>,
        via -> Text,
        submitted_by -> Nullable<Text>,
        submitted_at -> Timestamptz,
    }
}

diesel::table! {
    survey_tokens (token_hash) {
        token_hash -> Text,
        complaint_id -> Uuid,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    claims (id) {
        id -> Uuid,
        complaint_id -> Nullable<Uuid>,
        tracking_number -> Text,
        kind -> Text,
        status -> Text,
        currency -> Text,
        amount_claimed_minor -> Int8,
        amount_payable_minor -> Int8,
        amount_approved_minor -> Nullable<Int8>,
        customer_id -> Nullable<Uuid>,
        merchant_id -> Nullable<Uuid>,
        reason -> Nullable<Text>,
        reference -> Nullable<Text>,
        escalated -> Bool,
        escalated_at -> Nullable<Timestamptz>,
        filed_by -> Text,
        filed_at -> Timestamptz,
        settled_at -> Nullable<Timestamptz>,
        updated_at -> Timestamptz,
        version -> Int4,
    }
}

diesel::table! {
    improvement_actions (id) {
        id -> Uuid,
        root_cause -> Text,
        goal -> Text,
        method -> Nullable<Text>,
        owner_id -> Nullable<Uuid>,
        due_at -> Nullable<Timestamptz>,
        status -> Text,
        metric -> Nullable<Text>,
        baseline -> Nullable<Jsonb>,
        result -> Nullable<Jsonb>,
        complaint_ids -> Array<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        version -> Int4,
    }
}

diesel::table! {
    departments (name) {
        name -> Text,
        supervisor_id -> Nullable<Uuid>,
        version -> Int4,
        updated_by -> Text,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    department_members (user_id) {
        user_id -> Uuid,
        department -> Text,
        added_at -> Timestamptz,
    }
}

diesel::table! {
    staff_notifications (id) {
        id -> Uuid,
        recipient_id -> Nullable<Uuid>,
        department -> Text,
        complaint_id -> Uuid,
        kind -> Text,
        payload -> Jsonb,
        created_at -> Timestamptz,
        read_at -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(complaint_history -> complaints (complaint_id));
diesel::joinable!(evidence -> complaints (complaint_id));
diesel::joinable!(evidence_content -> evidence (evidence_id));
diesel::joinable!(surveys -> complaints (complaint_id));
diesel::joinable!(survey_tokens -> complaints (complaint_id));
diesel::joinable!(claims -> complaints (complaint_id));
diesel::joinable!(department_members -> departments (department));
diesel::joinable!(staff_notifications -> complaints (complaint_id));

diesel::allow_tables_to_appear_in_same_query!(
    claims,
    complaint_history,
    complaint_numbers,
    complaints,
    customer_projection,
    department_members,
    departments,
    evidence,
    evidence_content,
    improvement_actions,
    shipment_deliveries,
    shipment_projection,
    sla_policies,
    sla_policy_versions,
    staff_notifications,
    survey_tokens,
    surveys,
);
