//! Events the gateway emits (SPEC §7, §10): revocations of credentials, so every service
//! refuses the live tokens of a revoked client or API key, or of a staff user whose sessions
//! ended, too, not only the gateway.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// The service that emits the events of this file.
const PRODUCER: &str = "gateway";

/// `client.revoked`: an OAuth2 client's access was revoked; tokens issued to it are refused
/// from now on, by every service.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ClientRevokedV1 {
    pub client_id: Uuid,
    /// The `sub` claim of the client's tokens (`client:<id>`): the services refuse it.
    pub subject: String,
    pub revoked_at: DateTime<Utc>,
}

event!(
    ClientRevokedV1,
    "client.revoked",
    "A client's access was revoked; its live tokens are refused everywhere."
);

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

event!(
    ApiKeyRevokedV1,
    "api_key.revoked",
    "A merchant API key was revoked; its live tokens are refused everywhere."
);

/// `user.sessions_ended`: a staff user was deactivated, or their password or role changed; the
/// access tokens issued to them until then are refused from now on, by every service (a token
/// issued after, to a reactivated user or at the next sign-in, is not).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct UserSessionsEndedV1 {
    pub user_id: Uuid,
    /// The `sub` claim of the user's tokens (their id): the services refuse it.
    pub subject: String,
    /// Tokens issued (`iat`) at or before this second are refused.
    pub ended_at: DateTime<Utc>,
    pub reason: SessionsEndedReason,
}

/// Why a user's sessions ended.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SessionsEndedReason {
    Deactivated,
    PasswordChanged,
    RoleChanged,
}

event!(
    UserSessionsEndedV1,
    "user.sessions_ended",
    "A staff user was deactivated or their password or role changed; their earlier tokens are refused everywhere."
);
