//! The proxy's shortcut past the app (`proxy::shortcut`): a read answered that way is the same
//! answer, header for header, as the app's way gives; and it is taken only for bodiless reads
//! no shared layer acts on.

use actix_web::{web, HttpRequest, HttpResponse};
use kuaidi_shared::auth::Role;
use kuaidi_shared::testing::{stub_server, TestEnv};
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::BTreeMap;

use crate::helpers::{send, settings, spawn};

/// The stub service: echoes what reached it, with headers of its own; `.../missing` is its 404.
async fn echo(req: HttpRequest) -> HttpResponse {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let seen = json!({
        "path": req.path(),
        "query": req.query_string(),
        "request_id": header("x-request-id"),
        "trace_id": header("traceparent").map(|t| t[3..35].to_owned()),
        "authorised": header("authorization").is_some(),
        "forwarded": [header("x-forwarded-for"), header("x-forwarded-proto"), header("x-forwarded-host")],
    });
    let mut answer = if req.path().ends_with("/missing") {
        HttpResponse::NotFound()
    } else {
        HttpResponse::Ok()
    };
    answer
        .insert_header(("etag", "\"e1\""))
        .insert_header(("vary", "Accept-Encoding"))
        .insert_header(("x-frame-options", "SAMEORIGIN"))
        .insert_header(("cache-control", "max-age=5"))
        .json(seen)
}

/// An answer as a caller compares it: status, headers (the date, the span id and what is left
/// of a rate limit aside; lists as sets) and body.
async fn answer(response: reqwest::Response) -> (u16, BTreeMap<String, Vec<String>>, Value) {
    let status = response.status().as_u16();
    let mut headers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in response.headers() {
        let value = value.to_str().unwrap_or("").to_owned();
        match name.as_str() {
            "date" => continue,
            // A token bucket refills with time: how much is left is not the path's doing.
            "ratelimit-remaining" => {
                headers.insert(name.to_string(), vec!["(any)".into()]);
            }
            // `00-<trace id>-<span id>-01`: the span id is new on every answer.
            "traceparent" => headers
                .entry(name.to_string())
                .or_default()
                .push(value[..35].into()),
            "access-control-expose-headers" | "vary" => {
                let list = headers.entry(name.to_string()).or_default();
                list.extend(value.split(',').map(|v| v.trim().to_owned()));
                list.sort();
            }
            _ => headers.entry(name.to_string()).or_default().push(value),
        }
    }
    let body = response.text().await.expect("body");
    let body = serde_json::from_str(&body).unwrap_or(Value::String(body));
    (status, headers, body)
}

/// `kuaidi_http_shortcut_answers_total` of a gateway.
async fn shortcut_answers(env: &TestEnv, metrics_url: String) -> u64 {
    let text = send(env.http.get(metrics_url))
        .await
        .text()
        .await
        .expect("text");
    text.lines()
        .find(|l| l.starts_with("kuaidi_http_shortcut_answers_total"))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("the shortcut counter is served: {text}"))
}

/// (method, path, bearer, extra header)
type Read<'a> = (Method, &'a str, &'a str, Option<(&'a str, &'a str)>);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_answered_past_the_app_is_the_answer_the_app_gives() {
    let env = TestEnv::new();
    let (port, stub) = stub_server(web::Data::new(()), echo);
    let gateway = |shortcut: bool| {
        let mut s = settings(&env);
        s.services.shipments = format!("http://127.0.0.1:{port}");
        s.proxy.shortcut = shortcut;
        spawn(s)
    };
    let (fast, full) = (gateway(true).await, gateway(false).await);
    let operator = env.token(Role::Operator, None);
    let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    // Every one a bodiless read on a proxied path.
    let reads: [Read; 8] = [
        (Method::GET, "/api/v1/tracking/KD1?lang=en", "", None),
        (Method::HEAD, "/api/v1/tracking/KD1", "", None),
        (Method::GET, "/api/v1/shipments/KD1", &operator, None),
        (Method::GET, "/api/v1/shipments/KD1", "", None),
        (Method::GET, "/api/v1/shipments/KD1", "not-a-token", None),
        (Method::GET, "/api/v1/tracking/missing", "", None),
        (Method::GET, "/api/v1/customers/c1", &operator, None),
        (
            Method::GET,
            "/api/v1/tracking/KD2",
            "",
            Some(("x-forwarded-proto", "https")),
        ),
    ];
    for (i, (method, path, bearer, extra)) in reads.iter().enumerate() {
        let mut answers = Vec::new();
        for gw in [&fast, &full] {
            let mut request = env
                .http
                .request(method.clone(), gw.url() + path)
                .header("x-request-id", format!("parity-{i}"))
                .header("traceparent", traceparent)
                // The same host for both gateways (their ports differ).
                .header("x-forwarded-host", "kuaidi.example");
            if !bearer.is_empty() {
                request = request.bearer_auth(bearer);
            }
            if let Some(header) = extra {
                request = request.header(header.0, header.1);
            }
            answers.push(answer(send(request).await).await);
        }
        assert_eq!(answers[0], answers[1], "{method} {path}: shortcut vs app");
        assert!(
            answers[0].1.contains_key("x-content-type-options"),
            "{method} {path}: the security headers"
        );
    }
    assert_eq!(
        shortcut_answers(&env, fast.metrics_url()).await,
        reads.len() as u64
    );
    assert_eq!(shortcut_answers(&env, full.metrics_url()).await, 0);

    // What a shared layer acts on goes the app's way: a CORS request, a body, a dot segment,
    // the gateway's own routes.
    let origin = env
        .http
        .get(fast.url() + "/api/v1/tracking/KD1")
        .header("origin", "https://elsewhere.example");
    send(origin).await;
    let with_body = env.http.get(fast.url() + "/api/v1/tracking/KD1").body("{}");
    send(with_body).await;
    send(env.http.get(fast.url() + "/api/v1/tracking/..%2fx")).await;
    send(env.http.get(fast.url() + "/.well-known/jwks.json")).await;
    assert_eq!(
        shortcut_answers(&env, fast.metrics_url()).await,
        reads.len() as u64,
        "none of these took the shortcut"
    );
    stub.stop(false).await;
    fast.stop().await;
    full.stop().await;
}
