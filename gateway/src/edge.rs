//! Who is calling, decided at the edge: a bearer token (verified; a revoked client's token, or
//! a user's issued before their sessions ended — deactivated, password or role changed —, is
//! refused) or a merchant API key (`X-Api-Key`), which is exchanged for a short-lived token so
//! the services only ever see tokens.

use actix_web::http::header::{HeaderMap, HeaderName};
use kuaidi_shared::auth::{bearer_in, JwtVerifier, Principal, Role};
use kuaidi_shared::db::{self, PgPool};
use kuaidi_shared::ApiError;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use uuid::Uuid;

use crate::db::{api_keys, clients, users};

/// Which tokens of an account are refused before they expire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refused {
    Never,
    Always,
    /// Those issued (`iat`) up to this second.
    IssuedUntil(i64),
}

/// An account whose tokens may be refused before they expire.
#[derive(Debug, Clone, Copy)]
enum Account {
    Client(Uuid),
    User(Uuid),
}
use crate::tokens::{self, Signer, Subject};

/// How long a key's exchanged token is reused before the database is asked again: revocation
/// takes effect within this time.
const CACHE_FOR: Duration = Duration::from_secs(30);
/// How long a client's revocation, or the end of a user's sessions, is known before the
/// database is asked again (at once on the replica that made the change: [`Edge::forget`]).
const ACCOUNT_STATUS_FOR: Duration = Duration::from_secs(5);

pub const CLIENT_PREFIX: &str = "client:";
pub const API_KEY_PREFIX: &str = "api_key:";

/// A caller the gateway let through.
#[derive(Debug, Clone)]
pub struct Caller<'t> {
    pub principal: Principal,
    /// The token to forward: the request's own, or the one its API key was exchanged for.
    pub token: Cow<'t, [u8]>,
    /// Set when this request exchanged an API key for a new token (audited).
    pub exchanged_key: Option<Uuid>,
}

impl Caller<'_> {
    /// The audit entry of the API key this request exchanged for a token (`auth.api_key`),
    /// when it exchanged one (a key's token reused from the cache is not audited again).
    pub fn key_exchange(&self) -> Option<crate::audit::Audit> {
        let key = self.exchanged_key?;
        Some(crate::audit::Audit::by(
            &self.principal,
            "auth.api_key",
            key.to_string(),
        ))
    }
}

pub struct Edge {
    verifier: actix_web::web::Data<JwtVerifier>,
    pool: PgPool,
    signer: Signer,
    api_keys: Mutex<HashMap<String, (Caller<'static>, Instant)>>,
    /// Whether a client (revoked) or a user (deactivated) is refused, and since when known.
    refused: Mutex<HashMap<Uuid, (Refused, Instant)>>,
}

impl Edge {
    pub fn new(verifier: actix_web::web::Data<JwtVerifier>, pool: PgPool, signer: Signer) -> Self {
        Self {
            verifier,
            pool,
            signer,
            api_keys: Mutex::new(HashMap::new()),
            refused: Mutex::new(HashMap::new()),
        }
    }

    /// The caller of a request with these headers, `None` when it presents no credentials;
    /// `401` for bad ones.
    pub async fn resolve<'h>(
        &self,
        headers: &'h HeaderMap,
    ) -> Result<Option<Caller<'h>>, ApiError> {
        static API_KEY: HeaderName = HeaderName::from_static("x-api-key");
        if let Some(key) = headers.get(&API_KEY) {
            let key = key
                .to_str()
                .map_err(|_| ApiError::Unauthorized("invalid API key".into()))?;
            return self.by_api_key(key).await.map(Some);
        }
        let Some(token) = bearer_in(headers) else {
            return Ok(None);
        };
        let principal = Principal::from(&*self.verifier.verify(token).await?);
        self.still_valid(&principal).await?;
        Ok(Some(Caller {
            principal,
            token: Cow::Borrowed(token),
            exchanged_key: None,
        }))
    }

    async fn by_api_key(&self, key: &str) -> Result<Caller<'static>, ApiError> {
        let digest = tokens::digest(key);
        if let Some((caller, at)) = self
            .api_keys
            .lock()
            .ok()
            .and_then(|m| m.get(&digest).cloned())
        {
            if at.elapsed() < CACHE_FOR {
                return Ok(Caller {
                    exchanged_key: None,
                    ..caller
                });
            }
        }
        let d = digest.clone();
        let found = db::work(&self.pool, move |conn| {
            Ok(api_keys::find_live(conn, &d)?.map(|k| (k.id, k.merchant_id)))
        })
        .await?;
        let (id, merchant_id) =
            found.ok_or_else(|| ApiError::Unauthorized("invalid API key".into()))?;
        let subject = Subject::new(
            format!("{API_KEY_PREFIX}{id}"),
            Role::Merchant,
            Vec::new(),
            Some(merchant_id),
        );
        let token = self.signer.access_token(&subject)?;
        let caller = Caller {
            principal: Principal {
                sub: subject.sub,
                role: Role::Merchant,
                scopes: Vec::new(),
                merchant_id: Some(merchant_id),
                phone_hash: None,
                issued_at: self.signer.clock.now().timestamp(),
            },
            token: Cow::Owned(token.into_bytes()),
            exchanged_key: Some(id),
        };
        if let Ok(mut cache) = self.api_keys.lock() {
            if cache.len() > 10_000 {
                cache.retain(|_, (_, at)| at.elapsed() < CACHE_FOR);
            }
            cache.insert(digest, (caller.clone(), Instant::now()));
        }
        Ok(caller)
    }

    /// `401` for the verified token of a client since revoked, or of a user issued before their
    /// sessions ended (a staff user's `sub` is their id): refused at once, not only when it
    /// expires.
    pub async fn still_valid(&self, principal: &Principal) -> Result<(), ApiError> {
        if let Some(id) = principal.sub.strip_prefix(CLIENT_PREFIX) {
            let id =
                Uuid::parse_str(id).map_err(|_| ApiError::Unauthorized("invalid token".into()))?;
            if self.refused(Account::Client(id)).await? != Refused::Never {
                let why = "the client's access was revoked";
                return Err(ApiError::Unauthorized(why.into()));
            }
        } else if let Ok(id) = Uuid::parse_str(&principal.sub) {
            match self.refused(Account::User(id)).await? {
                Refused::Always => {
                    return Err(ApiError::Unauthorized("the user was deactivated".into()))
                }
                Refused::IssuedUntil(second) if principal.issued_at <= second => {
                    let why = "the user's sessions ended (password or role changed)";
                    return Err(ApiError::Unauthorized(why.into()));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Which of `account`'s tokens are refused: all of a client revoked (or gone) or of a user
    /// deactivated; a user's issued up to the second their sessions last ended.
    async fn refused(&self, account: Account) -> Result<Refused, ApiError> {
        let id = match account {
            Account::Client(id) | Account::User(id) => id,
        };
        if let Some((refused, at)) = self.refused.lock().ok().and_then(|m| m.get(&id).copied()) {
            if at.elapsed() < ACCOUNT_STATUS_FOR {
                return Ok(refused);
            }
        }
        let refused = db::work(&self.pool, move |conn| {
            Ok(match account {
                Account::Client(id) => match clients::find(conn, id)? {
                    Some(c) if c.revoked_at.is_none() => Refused::Never,
                    _ => Refused::Always,
                },
                // Users are deactivated, never deleted: only a known, disabled one is refused.
                Account::User(id) => match users::find(conn, id)? {
                    Some(u) if u.disabled => Refused::Always,
                    Some(u) => u
                        .sessions_ended_at
                        .map_or(Refused::Never, |t| Refused::IssuedUntil(t.timestamp())),
                    None => Refused::Never,
                },
            })
        })
        .await?;
        if let Ok(mut cache) = self.refused.lock() {
            cache.insert(id, (refused, Instant::now()));
        }
        Ok(refused)
    }

    /// Forgets cached credentials at once (after a revocation on this replica).
    pub fn forget(&self) {
        if let Ok(mut m) = self.api_keys.lock() {
            m.clear();
        }
        if let Ok(mut m) = self.refused.lock() {
            m.clear();
        }
    }
}
