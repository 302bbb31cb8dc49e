//! The one place a session is issued — at login, at refresh and for client credentials: an
//! access token for the subject and, for staff users, a refresh token in the login's family.

use chrono::{DateTime, Duration, Utc};
use kuaidi_shared::db::{self, PgPool};
use kuaidi_shared::ApiError;
use uuid::Uuid;

use crate::db::refresh_tokens::{self, RefreshTokenRow};
use crate::tokens::{self, Signer, Subject};

/// Issues sessions: the signer, the gateway's database and the refresh tokens' lifetime.
pub struct Sessions {
    pub signer: Signer,
    pub pool: PgPool,
}

/// A staff user's refresh token: whose, and in which family (a new login starts one).
pub struct Refreshable {
    pub user_id: Uuid,
    pub family_id: Uuid,
    /// When the family's login happened (its absolute lifetime counts from there).
    pub started_at: DateTime<Utc>,
}

/// What a client receives.
#[derive(Debug)]
pub struct Session {
    pub access_token: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    pub refresh_token: Option<String>,
}

impl Sessions {
    pub fn now(&self) -> DateTime<Utc> {
        self.signer.clock.now()
    }

    /// Signs an access token for `subject` and, when `refresh` is given, stores and returns a
    /// new refresh token of that family.
    pub async fn issue(
        &self,
        subject: &Subject,
        refresh: Option<Refreshable>,
    ) -> Result<Session, ApiError> {
        let access_token = self.signer.access_token(subject)?;
        let refresh_token = match refresh {
            None => None,
            Some(r) => {
                let (token, digest) = tokens::refresh_token();
                let now = self.now();
                let jwt = &self.signer.jwt;
                let sliding = now + Duration::seconds(jwt.refresh_ttl_secs);
                let absolute = r.started_at + Duration::seconds(jwt.session_absolute_ttl_secs);
                let mut row = RefreshTokenRow::new(
                    r.user_id,
                    r.family_id,
                    digest,
                    now,
                    sliding.min(absolute),
                );
                row.session_started_at = Some(r.started_at);
                db::run(&self.pool, move |conn| {
                    Ok(refresh_tokens::insert(conn, &row)?)
                })
                .await?;
                Some(token)
            }
        };
        Ok(Session {
            access_token,
            expires_in: self.signer.jwt.access_ttl_secs,
            refresh_token,
        })
    }
}
