//! Who is calling, decided at the edge: a bearer token (verified; a revoked client's token is
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

use crate::db::{api_keys, clients};
use crate::tokens::{self, Signer, Subject};

/// How long a key's exchanged token, or a client's revocation status, is reused before the
/// database is asked again: revocation takes effect within this time.
const CACHE_FOR: Duration = Duration::from_secs(30);
const CLIENT_STATUS_FOR: Duration = Duration::from_secs(5);

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

pub struct Edge {
    verifier: actix_web::web::Data<JwtVerifier>,
    pool: PgPool,
    signer: Signer,
    api_keys: Mutex<HashMap<String, (Caller<'static>, Instant)>>,
    clients: Mutex<HashMap<Uuid, (bool, Instant)>>,
}

impl Edge {
    pub fn new(verifier: actix_web::web::Data<JwtVerifier>, pool: PgPool, signer: Signer) -> Self {
        Self {
            verifier,
            pool,
            signer,
            api_keys: Mutex::new(HashMap::new()),
            clients: Mutex::new(HashMap::new()),
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
        if let Some(id) = principal.sub.strip_prefix(CLIENT_PREFIX) {
            let id =
                Uuid::parse_str(id).map_err(|_| ApiError::Unauthorized("invalid token".into()))?;
            if self.client_revoked(id).await? {
                return Err(ApiError::Unauthorized(
                    "the client's access was revoked".into(),
                ));
            }
        }
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

    async fn client_revoked(&self, id: Uuid) -> Result<bool, ApiError> {
        if let Some((revoked, at)) = self.clients.lock().ok().and_then(|m| m.get(&id).copied()) {
            if at.elapsed() < CLIENT_STATUS_FOR {
                return Ok(revoked);
            }
        }
        let revoked = db::work(&self.pool, move |conn| {
            let client = clients::find(conn, id)?;
            Ok(client.is_none_or(|c| c.revoked_at.is_some()))
        })
        .await?;
        if let Ok(mut cache) = self.clients.lock() {
            cache.insert(id, (revoked, Instant::now()));
        }
        Ok(revoked)
    }

    /// Forgets cached credentials at once (after a revocation on this replica).
    pub fn forget(&self) {
        if let Ok(mut m) = self.api_keys.lock() {
            m.clear();
        }
        if let Ok(mut m) = self.clients.lock() {
            m.clear();
        }
    }
}
