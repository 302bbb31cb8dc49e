//! Tests of token verification and the principal.

#[test]
fn a_jwks_url_must_be_https_unless_on_loopback() {
    for ok in [
        "https://gateway.example/.well-known/jwks.json",
        "http://127.0.0.1:8080/.well-known/jwks.json",
        "http://localhost:8080/.well-known/jwks.json",
        "http://[::1]:8080/.well-known/jwks.json",
    ] {
        assert!(super::check_jwks_url(ok).is_ok(), "{ok}");
    }
    for refused in [
        "http://gateway.internal:8080/.well-known/jwks.json",
        "http://10.0.0.5/.well-known/jwks.json",
        "ftp://127.0.0.1/jwks",
    ] {
        assert!(super::check_jwks_url(refused).is_err(), "{refused}");
    }
}

use super::*;

/// An agent's claims issued at `now`, valid 15 minutes.
fn claims(now: i64) -> Claims {
    Claims {
        iat: now,
        exp: now + 900,
        ..crate::testing::claims(Role::Agent, "u1")
    }
}

fn verifier(key: &SigningKey) -> JwtVerifier {
    JwtVerifier::new(&crate::testing::auth_settings(key)).expect("verifier")
}

/// A JWKS endpoint serving whatever `keys` holds at each request (a `503` while `up` is
/// false).
async fn jwks_server(
    keys: std::sync::Arc<std::sync::Mutex<Vec<Jwk>>>,
    up: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!(
        "http://127.0.0.1:{}/.well-known/jwks.json",
        listener.local_addr().expect("addr").port()
    );
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buf = vec![0_u8; 8192];
            let _ = socket.read(&mut buf).await;
            if !up.load(std::sync::atomic::Ordering::SeqCst) {
                let down = "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
                let _ = socket.write_all(down.as_bytes()).await;
                continue;
            }
            let body = serde_json::to_string(&Jwks {
                keys: keys.lock().expect("lock").clone(),
            })
            .expect("json");
            let answer = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(answer.as_bytes()).await;
        }
    });
    url
}

/// A verifier taking its keys from a JWKS endpoint serving what `served` holds, after it has
/// fetched them once to verify a token signed by `key`; that token.
async fn fetched_once(
    key: &SigningKey,
    served: &std::sync::Arc<std::sync::Mutex<Vec<Jwk>>>,
) -> (JwtVerifier, String) {
    let v = JwtVerifier::new(&AuthSettings {
        issuer: "kuaidi-gateway".into(),
        audience: "kuaidi".into(),
        jwks_url: Some(jwks_server(served.clone(), std::sync::Arc::new(true.into())).await),
        public_keys: vec![],
    })
    .expect("verifier");
    let now = crate::clock::Clock::system().now().timestamp();
    let token = key.sign(&claims(now)).expect("sign");
    assert!(v.verify(&token).await.is_ok(), "first fetch");
    (v, token)
}

#[actix_web::test]
async fn a_token_of_a_key_unknown_to_the_cache_makes_the_verifier_fetch_the_jwks_again() {
    let (old, new) = (SigningKey::generate(), SigningKey::generate());
    let served = std::sync::Arc::new(std::sync::Mutex::new(vec![old.jwk()]));
    let (v, _) = fetched_once(&old, &served).await;
    let now = crate::clock::Clock::system().now().timestamp();
    // The gateway rotates its key; the verifier has only the old one cached.
    served.lock().expect("lock").push(new.jwk());
    // Unknown kids refetch at most every JWKS_REFRESH_MIN: wait for that window to open.
    tokio::time::sleep(JWKS_REFRESH_MIN).await;
    let by_new = new.sign(&claims(now)).expect("sign");
    let got = v
        .verify(&by_new)
        .await
        .expect("refetched on the unknown kid");
    assert_eq!(got.sub, "u1");
}

#[actix_web::test]
async fn a_key_set_that_could_not_be_fetched_is_asked_for_again_at_the_next_token() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let key = SigningKey::generate();
    let served = std::sync::Arc::new(std::sync::Mutex::new(vec![key.jwk()]));
    let up = std::sync::Arc::new(AtomicBool::new(false));
    let v = JwtVerifier::new(&AuthSettings {
        issuer: "kuaidi-gateway".into(),
        audience: "kuaidi".into(),
        jwks_url: Some(jwks_server(served, up.clone()).await),
        public_keys: vec![],
    })
    .expect("verifier");
    let now = crate::clock::Clock::system().now().timestamp();
    let token = key.sign(&claims(now)).expect("sign");
    assert!(
        matches!(v.verify(&token).await, Err(ApiError::Unavailable(_))),
        "keys that cannot be fetched: unavailable, not a bad token"
    );
    up.store(true, Ordering::SeqCst);
    let got = v.verify(&token).await.expect("asked again, at once");
    assert_eq!(got.sub, "u1");
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
    let mut not_text = key.sign(&claims(now)).expect("sign").into_bytes();
    not_text[3] = 0xff;
    assert!(
        matches!(v.verify(&not_text).await, Err(ApiError::Unauthorized(_))),
        "a token that is not text must be refused as a credential, not fail"
    );

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

#[actix_web::test]
async fn a_verified_token_is_remembered_and_a_refused_one_is_not() {
    let key = SigningKey::generate();
    let v = verifier(&key);
    let now = crate::clock::Clock::system().now().timestamp();
    let token = key.sign(&claims(now)).expect("sign");
    assert!(v.remembered(&token).is_none());
    assert_eq!(v.verify(&token).await.expect("valid").sub, "u1");
    assert!(v.remembered(&token).is_some(), "verified token not cached");
    assert_eq!(v.verify(&token).await.expect("from the cache").sub, "u1");

    // The same claims under another signature are verified on their own, and refused.
    let mut foreign = SigningKey::generate();
    foreign.kid = key.kid.clone();
    let forged = foreign.sign(&claims(now)).expect("sign");
    assert!(v.verify(&forged).await.is_err(), "forged accepted");
    assert!(v.remembered(&forged).is_none(), "refused token cached");
}

#[actix_web::test]
async fn a_remembered_token_is_forgotten_when_it_expires_with_the_leeway() {
    let key = SigningKey::generate();
    let v = verifier(&key);
    let now = unix_now();
    // Expired 10 s ago: still inside the 30 s leeway, so accepted and remembered until then.
    let mut c = claims(now);
    c.exp = now - 10;
    let token = key.sign(&c).expect("sign");
    v.verify(&token).await.expect("within the leeway");
    assert!(v.remembered(&token).is_some());
    assert!(v.verified.get(token.as_bytes(), now + 19).is_some());
    assert!(
        v.verified.get(token.as_bytes(), now + 20).is_none(),
        "kept past exp + leeway"
    );
}

#[actix_web::test]
async fn a_new_key_set_forgets_the_tokens_its_old_keys_vouched_for() {
    let (old, new) = (SigningKey::generate(), SigningKey::generate());
    let served = std::sync::Arc::new(std::sync::Mutex::new(vec![old.jwk()]));
    let (v, by_old) = fetched_once(&old, &served).await;
    let now = crate::clock::Clock::system().now().timestamp();
    // The old key is withdrawn (compromised): only the new one is served.
    *served.lock().expect("lock") = vec![new.jwk()];
    tokio::time::sleep(JWKS_REFRESH_MIN).await;
    let by_new = new.sign(&claims(now)).expect("sign");
    assert!(v.verify(&by_new).await.is_ok(), "refetched on the new kid");
    assert!(
        v.verify(&by_old).await.is_err(),
        "a token of the withdrawn key still accepted from the cache"
    );
}

#[test]
fn the_bearer_scheme_is_matched_whatever_its_case() {
    use actix_web::http::header::{HeaderMap, HeaderValue, AUTHORIZATION};
    let with = |value: &'static str| {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_static(value));
        bearer_in(&headers).map(<[u8]>::to_vec)
    };
    for value in ["Bearer abc", "bearer abc", "BEARER  abc "] {
        assert_eq!(with(value), Some(b"abc".to_vec()), "{value}");
    }
    assert_eq!(with("Basic abc"), None);
    assert_eq!(with("Bear"), None);
}
