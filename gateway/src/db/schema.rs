// @generated automatically by Diesel CLI.

diesel::table! {
    refresh_tokens (id) {
        id -> Uuid,
        user_id -> Uuid,
        family_id -> Uuid,
        token_hash -> Text,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        session_started_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    login_addresses (user_id, ip) {
        user_id -> Uuid,
        ip -> Text,
        last_success_at -> Timestamptz,
    }
}

diesel::joinable!(login_addresses -> users (user_id));

diesel::table! {
    signing_keys (kid) {
        kid -> Text,
        seed_b64 -> Text,
        created_at -> Timestamptz,
        retired_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    users (id) {
        id -> Uuid,
        username -> Text,
        password_hash -> Text,
        role -> Text,
        display_name -> Nullable<Text>,
        disabled -> Bool,
        failed_logins -> Int4,
        locked_until -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        version -> Int4,
        sessions_ended_at -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(refresh_tokens -> users (user_id));

diesel::table! {
    api_keys (id) {
        id -> Uuid,
        name -> Text,
        merchant_id -> Uuid,
        prefix -> Text,
        key_hash -> Text,
        revoked_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        created_by -> Text,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Int8,
        at -> Timestamptz,
        principal -> Nullable<Text>,
        role -> Nullable<Text>,
        action -> Text,
        target -> Nullable<Text>,
        outcome -> Text,
        request_id -> Nullable<Text>,
        ip -> Nullable<Text>,
        details -> Jsonb,
    }
}

diesel::table! {
    clients (id) {
        id -> Uuid,
        client_id -> Text,
        secret_hash -> Text,
        name -> Text,
        role -> Text,
        merchant_id -> Nullable<Uuid>,
        scopes -> Array<Text>,
        revoked_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        created_by -> Text,
    }
}

diesel::table! {
    idempotency_keys (principal, key) {
        principal -> Text,
        key -> Text,
        request_hash -> Text,
        status -> Nullable<Int4>,
        headers -> Nullable<Jsonb>,
        body -> Nullable<Bytea>,
        created_at -> Timestamptz,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    api_keys,
    audit_log,
    clients,
    idempotency_keys,
    login_addresses,
    refresh_tokens,
    signing_keys,
    users,
);
