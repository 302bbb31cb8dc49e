// @generated automatically by Diesel CLI.

diesel::table! {
    kpi_daily (day, merchant_id, city, province, service_level, category) {
        day -> Date,
        merchant_id -> Uuid,
        city -> Text,
        province -> Text,
        service_level -> Text,
        category -> Text,
        shipments -> Int8,
        complaints -> Int8,
    }
}
