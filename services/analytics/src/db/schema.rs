// @generated automatically by Diesel CLI.

diesel::table! {
    kpi_rollup (bucket, city, province, hub, service_level, value_tier, merchant_id, category, handler_id) {
        bucket -> Timestamptz,
        city -> Text,
        province -> Text,
        hub -> Text,
        service_level -> Text,
        value_tier -> Text,
        merchant_id -> Uuid,
        category -> Text,
        handler_id -> Uuid,
        shipments -> Int8,
        delivered -> Int8,
        delivered_on_time -> Int8,
        transit_count -> Int8,
        transit_seconds -> Int8,
        damaged -> Int8,
        lost -> Int8,
        excepted -> Int8,
        complaints -> Int8,
        first_responses -> Int8,
        first_responses_in_sla -> Int8,
        closed -> Int8,
        closed_24h -> Int8,
        closed_48h -> Int8,
        reopened -> Int8,
        sla_breaches -> Int8,
        surveys -> Int8,
        survey_overall_sum -> Int8,
        surveys_satisfied -> Int8,
        new_customers -> Int8,
        claims_paid_minor -> Int8,
    }
}

diesel::table! {
    kpi_hourly (merchant_id, dim, value, hour) {
        hour -> Timestamptz,
        merchant_id -> Uuid,
        dim -> Text,
        value -> Text,
        shipments -> Int8,
        delivered -> Int8,
        delivered_on_time -> Int8,
        transit_count -> Int8,
        transit_seconds -> Int8,
        damaged -> Int8,
        lost -> Int8,
        excepted -> Int8,
        complaints -> Int8,
        first_responses -> Int8,
        first_responses_in_sla -> Int8,
        closed -> Int8,
        closed_24h -> Int8,
        closed_48h -> Int8,
        reopened -> Int8,
        sla_breaches -> Int8,
        surveys -> Int8,
        survey_overall_sum -> Int8,
        surveys_satisfied -> Int8,
        new_customers -> Int8,
        claims_paid_minor -> Int8,
    }
}

diesel::table! {
    kpi_days (merchant_id, dim, value, utc_offset, day) {
        utc_offset -> Int4,
        day -> Date,
        merchant_id -> Uuid,
        dim -> Text,
        value -> Text,
        shipments -> Int8,
        delivered -> Int8,
        delivered_on_time -> Int8,
        transit_count -> Int8,
        transit_seconds -> Int8,
        damaged -> Int8,
        lost -> Int8,
        excepted -> Int8,
        complaints -> Int8,
        first_responses -> Int8,
        first_responses_in_sla -> Int8,
        closed -> Int8,
        closed_24h -> Int8,
        closed_48h -> Int8,
        reopened -> Int8,
        sla_breaches -> Int8,
        surveys -> Int8,
        survey_overall_sum -> Int8,
        surveys_satisfied -> Int8,
        new_customers -> Int8,
        claims_paid_minor -> Int8,
    }
}

diesel::table! {
    customer_activity (bucket, customer_id, city, province, service_level, value_tier, merchant_id) {
        bucket -> Timestamptz,
        customer_id -> Uuid,
        city -> Text,
        province -> Text,
        service_level -> Text,
        value_tier -> Text,
        merchant_id -> Uuid,
        shipments -> Int8,
    }
}

diesel::table! {
    shipment_facts (shipment_id) {
        shipment_id -> Uuid,
        tracking_number -> Text,
        created_at -> Nullable<Timestamptz>,
        city -> Text,
        province -> Text,
        hub -> Text,
        service_level -> Text,
        value_tier -> Text,
        merchant_id -> Uuid,
        customer_id -> Nullable<Uuid>,
        in_transit_at -> Nullable<Timestamptz>,
        delivered_at -> Nullable<Timestamptz>,
        on_time -> Nullable<Bool>,
        damaged_at -> Nullable<Timestamptz>,
        lost_at -> Nullable<Timestamptz>,
        exception_at -> Nullable<Timestamptz>,
        counted -> Jsonb,
    }
}

diesel::table! {
    cases (complaint_id) {
        complaint_id -> Uuid,
        #[sql_name = "type"]
        type_ -> Text,
        tracking_number -> Text,
        city -> Text,
        province -> Text,
        hub -> Text,
        service_level -> Text,
        value_tier -> Text,
        merchant_id -> Uuid,
        category -> Text,
        handler_id -> Uuid,
        received_at -> Nullable<Timestamptz>,
        closed_at -> Nullable<Timestamptz>,
        resolution_seconds -> Nullable<Int8>,
        first_responded_at -> Nullable<Timestamptz>,
        first_response_in_sla -> Nullable<Bool>,
        handler_since -> Nullable<Timestamptz>,
        proactive -> Bool,
        closed_by -> Nullable<Uuid>,
    }
}

diesel::table! {
    customers (customer_id) {
        customer_id -> Uuid,
        merchant_id -> Uuid,
        city -> Text,
        province -> Text,
        value_tier -> Text,
        lifecycle_stage -> Text,
        created_at -> Nullable<Timestamptz>,
        tier_changed_at -> Nullable<Timestamptz>,
        stage_changed_at -> Nullable<Timestamptz>,
        last_shipment_at -> Nullable<Timestamptz>,
        shipments -> Int8,
        churn_baseline_monthly -> Nullable<Float8>,
        churn_last_30d -> Nullable<Int8>,
        churn_drop_ratio -> Nullable<Float8>,
        churn_detected_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    alerts (id) {
        id -> Uuid,
        kind -> Text,
        city -> Text,
        category -> Text,
        hub -> Text,
        day -> Date,
        observed -> Float8,
        threshold -> Float8,
        status -> Text,
        raised_at -> Timestamptz,
        acknowledged_at -> Nullable<Timestamptz>,
        acknowledged_by -> Nullable<Text>,
    }
}

diesel::table! {
    activity_versions (day) {
        day -> Date,
        version -> Int8,
    }
}

diesel::table! {
    customer_figures (time_zone, granularity, filter_key, period_start) {
        time_zone -> Text,
        granularity -> Text,
        filter_key -> Text,
        period_start -> Date,
        first_day -> Date,
        last_day -> Date,
        version -> Int8,
        active -> Int8,
        repeaters -> Int8,
        retained -> Int8,
    }
}

diesel::table! {
    customer_days (customer_id, day) {
        customer_id -> Uuid,
        day -> Date,
        shipments -> Int8,
        spend_minor -> Int8,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    activity_versions,
    customer_days,
    customer_figures,
    kpi_rollup,
    kpi_hourly,
    kpi_days,
    customer_activity,
    shipment_facts,
    cases,
    customers,
    alerts,
);
