//! The gateway's signing keys. Production configures the key (`jwt.signing_key`); without one a
//! development key is generated once, kept in the gateway database so every replica and restart
//! signs with the same key, and a warning is logged. Keys not retired stay in the JWKS.

use diesel::prelude::*;
use kuaidi_shared::auth::{Jwk, Jwks, SigningKey};
use secrecy::ExposeSecret;

use crate::configuration::JwtSettings;
use crate::db::schema::signing_keys;

/// The active signing key and every key whose tokens may still be live.
#[derive(Clone, Debug)]
pub struct KeyRing {
    pub active: SigningKey,
    pub published: Vec<Jwk>,
}

impl KeyRing {
    pub fn jwks(&self) -> Jwks {
        Jwks {
            keys: self.published.clone(),
        }
    }
}

/// Loads (or, in development, creates) the key ring. Once a signing key is configured, the
/// development keys stored in the database are neither published nor trusted.
pub fn load(
    settings: &JwtSettings,
    dev_mode: bool,
    conn: &mut PgConnection,
) -> anyhow::Result<KeyRing> {
    anyhow::ensure!(
        settings.signing_key.is_some() || dev_mode,
        "no jwt.signing_key configured: set KUAIDI_GATEWAY__JWT__SIGNING_KEY from the secret \
         store, or KUAIDI_DEV_MODE=1 on a development machine for a generated key"
    );
    let stored: Vec<(String, String)> = signing_keys::table
        .filter(signing_keys::retired_at.is_null())
        .order(signing_keys::created_at.asc())
        .select((signing_keys::kid, signing_keys::seed_b64))
        .load(conn)?;
    let stored: Vec<SigningKey> = stored
        .into_iter()
        .map(|(kid, seed)| SigningKey::from_seed_b64(kid, &seed))
        .collect::<anyhow::Result<_>>()?;
    let active = match &settings.signing_key {
        Some(seed) => {
            let key = SigningKey::from_seed_b64("", seed.expose_secret())?;
            let kid = settings
                .signing_kid
                .clone()
                .unwrap_or_else(|| key.public_x()[..16].to_owned());
            SigningKey::from_seed_b64(kid, seed.expose_secret())?
        }
        None => match stored.first() {
            Some(k) => k.clone(),
            None => {
                tracing::warn!("no jwt.signing_key configured: generating a development key (set KUAIDI_GATEWAY__JWT__SIGNING_KEY in production)");
                let key = SigningKey::generate();
                diesel::insert_into(signing_keys::table)
                    .values((
                        signing_keys::kid.eq(&key.kid),
                        signing_keys::seed_b64.eq(key.seed_b64()),
                    ))
                    .on_conflict_do_nothing()
                    .execute(conn)?;
                // Another replica may have won the race: everyone signs with the oldest key.
                let (kid, seed): (String, String) = signing_keys::table
                    .filter(signing_keys::retired_at.is_null())
                    .order(signing_keys::created_at.asc())
                    .select((signing_keys::kid, signing_keys::seed_b64))
                    .first(conn)?;
                SigningKey::from_seed_b64(kid, &seed)?
            }
        },
    };
    let mut published = vec![active.jwk()];
    if settings.signing_key.is_none() {
        for k in stored.iter().filter(|k| k.kid != active.kid) {
            published.push(k.jwk());
        }
    }
    for k in &settings.previous_keys {
        if published.iter().all(|p| p.kid != k.kid) {
            published.push(Jwk {
                kty: "OKP".into(),
                crv: "Ed25519".into(),
                kid: k.kid.clone(),
                x: k.x.clone(),
                use_: "sig".into(),
                alg: "EdDSA".into(),
            });
        }
    }
    Ok(KeyRing { active, published })
}
