//! Events the gateway emits (SPEC §7, §10): revocations of machine credentials, so every
//! service refuses the live tokens of a revoked client or API key too, not only the gateway.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::EventPayload;

/// `client.revoked`: an OAuth2 client's access was revoked; tokens issued to it are refused
/// from now on, by every service.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ClientRevokedV1 {
    pub client_id: Uuid,
    /// The `sub` claim of the client's tokens (`client:<id>`): the services refuse it.
    pub subject: String,
    pub revoked_at: DateTime<Utc>,
}

impl EventPayload for ClientRevokedV1 {
    const TYPE: &'static str = "client.revoked";
    const VERSION: u32 = 1;
    const PRODUCER: &'static str = "gateway";
    const SUMMARY: &'static str =
        "A client's access was revoked; its live tokens are refused everywhere.";
}

/// `api_key.revoked`: a merchant API key was revoked; the tokens the gateway exchanged it for
/// are refused from now on, by every service.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ApiKeyRevokedV1 {
    pub api_key_id: Uuid,
    pub merchant_id: Uuid,
    /// The `sub` claim of the key's tokens (`api_key:<id>`): the services refuse it.
    pub subject: String,
    pub revoked_at: DateTime<Utc>,
}

impl EventPayload for ApiKeyRevokedV1 {
    const TYPE: &'static str = "api_key.revoked";
    const VERSION: u32 = 1;
    const PRODUCER: &'static str = "gateway";
    const SUMMARY: &'static str =
        "A merchant API key was revoked; its live tokens are refused everywhere.";
}
