//! Tests of token verification and the principal.

use super::*;
use crate::settings::StaticKey;

fn claims(now: i64) -> Claims {
    Claims {
        sub: "u1".into(),
        role: Role::Agent,
        scopes: vec![],
        merchant_id: None,
        phone_hash: None,
        iss: "kuaidi-gateway".into(),
        aud: "kuaidi".into(),
        iat: now,
        nbf: None,
        exp: now + 900,
        jti: "j1".into(),
    }
}

fn verifier(key: &SigningKey) -> JwtVerifier {
    JwtVerifier::new(&AuthSettings {
        issuer: "kuaidi-gateway".into(),
        audience: "kuaidi".into(),
        jwks_url: None,
        public_keys: vec![StaticKey {
            kid: key.kid.clone(),
            x: key.public_x(),
        }],
    })
    .expect("verifier")
}

#[actix_web::test]
async fn a_token_signed_by_the_key_verifies() {
    let key = SigningKey::generate();
    let now = crate::clock::Clock::system().now().timestamp();
    let token = key.sign(&claims(now)).expect("sign");
    let got = verifier(&key).verify(&token).await.expect("valid token");
    assert_eq!(got.role, Role::Agent);
}

#[actix_web::test]
async fn forged_expired_foreign_and_unsigned_tokens_are_refused() {
    let key = SigningKey::generate();
    let v = verifier(&key);
    let now = crate::clock::Clock::system().now().timestamp();

    let mut foreign = SigningKey::generate();
    foreign.kid = key.kid.clone();
    let forged = foreign.sign(&claims(now)).expect("sign");
    assert!(v.verify(&forged).await.is_err(), "wrong signature accepted");

    let mut old = claims(now - 4000);
    old.exp = now - 3000;
    assert!(
        v.verify(&key.sign(&old).expect("sign")).await.is_err(),
        "expired accepted"
    );

    let mut early = claims(now);
    early.nbf = Some(now + 3600);
    assert!(
        v.verify(&key.sign(&early).expect("sign")).await.is_err(),
        "not-yet-valid accepted"
    );

    let mut aud = claims(now);
    aud.aud = "someone-else".into();
    assert!(
        v.verify(&key.sign(&aud).expect("sign")).await.is_err(),
        "audience ignored"
    );

    let mut iss = claims(now);
    iss.iss = "evil".into();
    assert!(
        v.verify(&key.sign(&iss).expect("sign")).await.is_err(),
        "issuer ignored"
    );

    use base64::Engine;
    let b64 = |v: serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let none = format!(
        "{}.{}.",
        b64(serde_json::json!({"alg": "none", "typ": "JWT", "kid": key.kid})),
        b64(serde_json::to_value(claims(now)).expect("json"))
    );
    assert!(v.verify(&none).await.is_err(), "alg none accepted");

    let hs = jsonwebtoken::encode(
        &jsonwebtoken::Header {
            kid: Some(key.kid.clone()),
            ..jsonwebtoken::Header::new(Algorithm::HS256)
        },
        &claims(now),
        &jsonwebtoken::EncodingKey::from_secret(key.public_x().as_bytes()),
    )
    .expect("hs token");
    assert!(
        v.verify(&hs).await.is_err(),
        "HS256 with the public key accepted"
    );
}
