//! Access tokens: the claims the gateway issues (SPEC §3) and their verification, which every
//! service does itself (a service reached directly is not an open door). Only EdDSA tokens with
//! a known `kid` are accepted; keys come from configuration or the gateway's JWKS (cached,
//! refetched on an unknown `kid` at most every few seconds).
//!
//! A token verified once is remembered until it expires (per worker thread and size-bounded,
//! [`remembered`]), so a client presenting the same token again and again (the gateway and the
//! service each verify it) costs a lookup instead of an Ed25519 signature check. The cache is
//! keyed by the whole token (hashed with `foldhash`: SipHash over a ~330-byte token was most of
//! a lookup), holds only tokens that passed every check, and is emptied whenever the key set
//! changes. A remembered token is resolved without a future ([`JwtVerifier::remembered`]), so
//! the extractors of an authenticated request allocate nothing for it.

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::{ready, Either, LocalBoxFuture, Ready};
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::problem::ApiError;
use crate::settings::AuthSettings;

mod remembered;
pub mod revocations;
mod signing;
pub use revocations::Revocations;
pub use signing::SigningKey;

crate::vocabulary! {
    /// Roles of SPEC §3.
    // NOTE: external contract — role names appear in tokens and in `/api/v1/users`.
    #[derive(Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum Role {
        Admin,
        Manager,
        Supervisor,
        Agent,
        Analyst,
        Operator,
        Merchant,
        App,
        Customer,
    }
}

/// The claims of a Kuaidi access token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: Role,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merchant_id: Option<Uuid>,
    /// Blind index of the end customer's phone (role `customer` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_hash: Option<String>,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    pub exp: i64,
    pub jti: String,
}

/// The verified caller of a request.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    pub sub: String,
    pub role: Role,
    pub scopes: Vec<String>,
    pub merchant_id: Option<Uuid>,
    pub phone_hash: Option<String>,
    /// When the token was issued (`iat`, Unix seconds): a credential revoked, or a user's
    /// sessions ended, after it refuses it.
    pub issued_at: i64,
}

impl From<&Claims> for Principal {
    fn from(c: &Claims) -> Self {
        Self {
            sub: c.sub.clone(),
            role: c.role,
            scopes: c.scopes.clone(),
            merchant_id: c.merchant_id,
            phone_hash: c.phone_hash.clone(),
            issued_at: c.iat,
        }
    }
}

impl Principal {
    /// Refuses the request unless the caller has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "role {} may not do this",
                self.role.as_str()
            )))
        }
    }

    /// The caller's user id, when `sub` is one.
    pub fn user_id(&self) -> Option<Uuid> {
        Uuid::parse_str(&self.sub).ok()
    }

    /// For merchants, the tenant every read and write is confined to.
    pub fn tenant(&self) -> Option<Uuid> {
        match self.role {
            Role::Merchant => self.merchant_id,
            _ => None,
        }
    }
}

/// Verifies access tokens; shared by all workers of a service through `web::Data`.
pub struct JwtVerifier {
    issuer: String,
    audience: String,
    jwks_url: Option<String>,
    keys: RwLock<HashMap<String, Arc<DecodingKey>>>,
    last_fetch: tokio::sync::Mutex<Option<Instant>>,
    http: reqwest::Client,
    verified: remembered::Remembered,
}

/// The leeway on `exp` and `nbf`, in seconds.
const LEEWAY_SECS: u64 = 30;

/// Now, in Unix seconds, as `jsonwebtoken` reads it for `exp` and `nbf`.
fn unix_now() -> i64 {
    i64::try_from(jsonwebtoken::get_current_timestamp()).unwrap_or(i64::MAX)
}

/// A JSON Web Key Set as served at `/.well-known/jwks.json`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

/// One Ed25519 public key (OKP).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Jwk {
    pub kty: String,
    pub crv: String,
    pub kid: String,
    pub x: String,
    #[serde(rename = "use")]
    pub use_: String,
    pub alg: String,
}

const JWKS_REFRESH_MIN: Duration = Duration::from_secs(5);

/// The keys that verify every token must come over TLS, except from this very machine.
fn check_jwks_url(url: &str) -> anyhow::Result<()> {
    let parsed = reqwest::Url::parse(url).map_err(|e| anyhow::anyhow!("auth.jwks_url: {e}"))?;
    let host = parsed.host_str().unwrap_or_default();
    let loopback = host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    anyhow::ensure!(
        parsed.scheme() == "https" || (parsed.scheme() == "http" && loopback),
        "auth.jwks_url must be https (plain http only on loopback): {url}"
    );
    Ok(())
}

impl JwtVerifier {
    pub fn new(settings: &AuthSettings) -> anyhow::Result<Self> {
        let mut keys = HashMap::new();
        for k in &settings.public_keys {
            keys.insert(
                k.kid.clone(),
                Arc::new(DecodingKey::from_ed_components(&k.x)?),
            );
        }
        let jwks_url = settings.jwks_url.clone().filter(|_| keys.is_empty());
        if let Some(url) = &jwks_url {
            check_jwks_url(url)?;
        }
        Ok(Self {
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
            jwks_url,
            keys: RwLock::new(keys),
            last_fetch: tokio::sync::Mutex::new(None),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(3))
                .build()?,
            verified: remembered::Remembered::default(),
        })
    }

    fn cached(&self, kid: &str) -> Option<Arc<DecodingKey>> {
        self.keys.read().ok()?.get(kid).cloned()
    }

    async fn key(&self, kid: &str) -> Result<Arc<DecodingKey>, ApiError> {
        if let Some(k) = self.cached(kid) {
            return Ok(k);
        }
        let Some(url) = &self.jwks_url else {
            return Err(ApiError::Unauthorized("unknown signing key".into()));
        };
        let mut last = self.last_fetch.lock().await;
        if let Some(k) = self.cached(kid) {
            return Ok(k);
        }
        // A key set fetched a moment ago said no: a token naming another key is not asked about
        // again for a while. A fetch that failed says nothing: the next token asks again.
        if last.is_some_and(|t| t.elapsed() < JWKS_REFRESH_MIN) {
            return Err(ApiError::Unauthorized("unknown signing key".into()));
        }
        let jwks: Jwks = self
            .http
            .get(url)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| ApiError::Unavailable(format!("jwks: {e}")))?
            .json()
            .await
            .map_err(|e| ApiError::Unavailable(format!("jwks: {e}")))?;
        let mut fresh = HashMap::new();
        for k in jwks
            .keys
            .iter()
            .filter(|k| k.kty == "OKP" && k.crv == "Ed25519")
        {
            if let Ok(dk) = DecodingKey::from_ed_components(&k.x) {
                fresh.insert(k.kid.clone(), Arc::new(dk));
            }
        }
        *last = Some(Instant::now());
        if let Ok(mut keys) = self.keys.write() {
            *keys = fresh;
        }
        // A key that left the set no longer vouches for the tokens it signed.
        self.verified.forget_all();
        self.cached(kid)
            .ok_or_else(|| ApiError::Unauthorized("unknown signing key".into()))
    }

    /// Verifies signature, algorithm, expiry, not-before, issuer and audience; a token seen
    /// before is answered from the cache of verified tokens. The token as sent: a remembered
    /// one is matched byte for byte, anything else must first be text.
    pub async fn verify(&self, token: impl AsRef<[u8]>) -> Result<Arc<Claims>, ApiError> {
        let token = token.as_ref();
        if let Some(claims) = self.remembered(token) {
            return Ok(claims);
        }
        let text = std::str::from_utf8(token)
            .map_err(|_| ApiError::Unauthorized("invalid token: malformed".into()))?;
        let generation = self.verified.generation();
        let claims = Arc::new(self.verify_signed(text).await?);
        // Forgotten when it expires: its `exp` plus the leeway `verify_signed` allowed it.
        let until = claims.exp.saturating_add(LEEWAY_SECS as i64);
        let kept = claims.clone();
        self.verified
            .insert(token, kept, until, unix_now(), generation);
        Ok(claims)
    }

    /// The claims of a token this thread verified before and not expired since, if it is one.
    pub fn remembered(&self, token: impl AsRef<[u8]>) -> Option<Arc<Claims>> {
        self.verified.get(token.as_ref(), unix_now())
    }

    async fn verify_signed(&self, token: &str) -> Result<Claims, ApiError> {
        let bad = |why: &str| ApiError::Unauthorized(format!("invalid token: {why}"));
        let header = decode_header(token).map_err(|_| bad("malformed"))?;
        if header.alg != Algorithm::EdDSA {
            return Err(bad("algorithm not accepted"));
        }
        let kid = header.kid.ok_or_else(|| bad("no key id"))?;
        let key = self.key(&kid).await?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECS;
        decode::<Claims>(token, &key, &validation)
            .map(|data| data.claims)
            .map_err(|e| bad(&format!("{:?}", e.kind()).to_lowercase()))
    }
}

/// Extracts the bearer token from `Authorization`, as sent.
pub fn bearer(req: &HttpRequest) -> Option<&[u8]> {
    bearer_in(req.headers())
}

/// The bearer token of a request with these headers, as sent: not checked to be text here
/// (~330 bytes on every authenticated request), since the verifier matches a remembered token
/// byte for byte and checks any other before it reads it.
/// The scheme's name is matched without regard to case (RFC 9110 §11.1: `bearer` is `Bearer`).
pub fn bearer_in(headers: &actix_web::http::header::HeaderMap) -> Option<&[u8]> {
    let value = headers
        .get(actix_web::http::header::AUTHORIZATION)?
        .as_bytes();
    let (scheme, token) = value.split_at_checked(b"Bearer ".len())?;
    scheme
        .eq_ignore_ascii_case(b"Bearer ")
        .then(|| token.trim_ascii())
}

impl FromRequest for Principal {
    type Error = actix_web::Error;
    /// Ready for a token verified before (the usual case), a boxed future otherwise.
    type Future = Either<
        Ready<Result<Self, Self::Error>>,
        LocalBoxFuture<'static, Result<Self, Self::Error>>,
    >;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(verifier) = req.app_data::<web::Data<JwtVerifier>>() else {
            let missing = ApiError::Internal(anyhow::anyhow!("JwtVerifier missing from app data"));
            return Either::Left(ready(Err(missing.into())));
        };
        let Some(token) = bearer(req) else {
            let missing = ApiError::Unauthorized("bearer token required".into());
            return Either::Left(ready(Err(missing.into())));
        };
        if let Some(claims) = verifier.remembered(token) {
            return Either::Left(ready(admit(req, &claims)));
        }
        let (verifier, token, req) = (verifier.clone(), token.to_owned(), req.clone());
        Either::Right(Box::pin(async move {
            let claims = verifier.verify(&token).await?;
            admit(&req, &claims)
        }))
    }
}

/// Lets a verified caller in unless its credential was revoked, or its sessions ended, after
/// the token was issued (services keep the list of revoked credentials; the gateway checks its
/// own tables). Not kept on the request: a second extractor of the same request looks the
/// token up again (a few hundred instructions, less than keeping a copy in the request's
/// extensions cost every request).
fn admit(req: &HttpRequest, claims: &Claims) -> Result<Principal, actix_web::Error> {
    let revocations = req.app_data::<web::Data<Revocations>>();
    if revocations.is_some_and(|r| r.is_revoked(&claims.sub, claims.iat)) {
        return Err(ApiError::Unauthorized("the credential was revoked".into()).into());
    }
    Ok(Principal::from(claims))
}

#[cfg(test)]
mod tests;
