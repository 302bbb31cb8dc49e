//! Request and response types of the authentication endpoints.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"username": "admin", "password": "s3cret-Passw0rd"}))]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// Tokens issued at login.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"access_token": "eyJhbGciOiJFZERTQSIs...", "token_type": "Bearer", "expires_in": 900, "refresh_token": "kq3...Zt0"}))]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    pub refresh_token: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// The token request (form-encoded as RFC 6749 says, or JSON).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct TokenRequest {
    /// Must be `client_credentials`.
    #[schema(value_type = Option<GrantType>)]
    pub grant_type: Option<String>,
    /// Or HTTP Basic authentication.
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// Space-separated subset of the client's scopes; all of them when absent.
    pub scope: Option<String>,
}

kuaidi_shared::string_enum_schema! {
    /// The one grant type of `POST /api/v1/auth/token`.
    pub GrantType = ["client_credentials"];
}

/// RFC 6749 §5.1.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AccessTokenResponse {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub scope: String,
}

/// RFC 6749 §5.2.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OAuthError {
    /// `invalid_request` | `invalid_client` | `unsupported_grant_type` | `invalid_scope`.
    pub error: String,
    pub error_description: String,
}

/// Body of `POST /api/v1/auth/customer-token`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"phone": "+86 138 1234 5678"}))]
pub struct CustomerTokenRequest {
    /// The phone the app has verified (any usual notation; normalised before hashing).
    #[serde(default)]
    pub phone: String,
}

/// A customer's access token (no refresh token: the app asks again).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"access_token": "eyJhbGciOiJFZERTQSIs...", "token_type": "Bearer", "expires_in": 900}))]
pub struct CustomerTokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the token expires (at most 900).
    pub expires_in: i64,
}
