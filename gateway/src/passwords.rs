//! Password hashing (argon2id, PHC strings) and the first admin.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use diesel::prelude::*;
use kuaidi_shared::auth::Role;

use crate::db::users::{self, UserRow};

pub fn hash(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing: {e}"))?
        .to_string())
}

/// Constant-time verification against a stored PHC string.
pub fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash to verify against when the user does not exist, so that timing does not reveal
/// which usernames exist.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| hash("decoy password").unwrap_or_default());
    &DECOY
}

/// Creates user `admin` when there are no users. Returns the generated password when none was
/// configured, so the binary can print it once.
pub fn bootstrap_admin(
    conn: &mut PgConnection,
    configured: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<Option<String>> {
    conn.transaction(|conn| {
        // One replica at a time (lock released at commit).
        diesel::sql_query("SELECT pg_advisory_xact_lock(7263001)").execute(conn)?;
        if users::count(conn)? > 0 {
            return Ok(None);
        }
        let generated = configured.is_none().then(|| {
            let bytes: [u8; 12] = rand::random();
            hex::encode(bytes)
        });
        let password = configured.or(generated.as_deref()).unwrap_or_default();
        let admin = UserRow::new(
            "admin".into(),
            hash(password)?,
            Role::Admin.as_str().into(),
            Some("Administrator".into()),
            now,
        );
        users::insert(conn, &admin)?;
        Ok(generated)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_only_their_password_and_never_contain_it() {
        let h = hash("correct horse").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(!h.contains("correct horse"));
        assert!(verify("correct horse", &h));
        assert!(!verify("wrong", &h));
        assert!(!verify("x", "not a phc string"));
    }
}
