//! Authentication endpoints.

pub mod customer_token;
pub mod login;
pub mod refresh;
pub mod token;

use crate::api::auth::TokenResponse;
use crate::sessions::Session;

/// A staff session's answer (`refresh_token` is always issued at login and refresh).
fn staff_tokens(session: Session) -> TokenResponse {
    TokenResponse {
        access_token: session.access_token,
        token_type: "Bearer".into(),
        expires_in: session.expires_in,
        refresh_token: session.refresh_token.unwrap_or_default(),
    }
}
