//! What the gateway adds to every operation of the merged document, since it is the gateway
//! that does it (SPEC §2, §3): `401` wherever a token is required, `429` (+ `Retry-After`)
//! on every `/api/v1` operation (per principal, per address on public routes), `502`/`504`
//! on proxied ones, and on each create (`POST` answering `201`) the `Idempotency-Key` header
//! it honours (with its `409` and `422`) and the `Location` header of its answer. A
//! response an operation documents itself is kept as it is.

use super::ordered::Json;

/// The gateway's own routes (never proxied).
const OWN: [&str; 6] = [
    "/api/v1/auth/",
    "/api/v1/users",
    "/api/v1/clients",
    "/api/v1/api-keys",
    "/api/v1/audit-log",
    "/.well-known/",
];

/// Adds the edge's responses and headers to every operation of `doc`.
pub fn document_the_edge(doc: &mut Json) {
    let Some(paths) = doc.entry("paths").and_then(Json::members_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let proxied = !OWN.iter().any(|own| path.starts_with(own));
        let api = path.starts_with("/api/v1/");
        let Some(ops) = item.members_mut() else {
            continue;
        };
        for (method, op) in ops.iter_mut() {
            let public = is_public(op);
            let Some(responses) = op.entry("responses").and_then(Json::members_mut) else {
                continue;
            };
            let creates = method == "post" && responses.iter().any(|(s, _)| s == "201");
            if !public {
                add(responses, "401", problem("No valid token or API key"));
            }
            if api {
                add(responses, "429", rate_limited());
            }
            if proxied {
                add(responses, "502", problem("The service is unavailable"));
                add(
                    responses,
                    "504",
                    problem("The service did not answer in time"),
                );
            }
            if creates {
                if let Some((_, created)) = responses.iter_mut().find(|(s, _)| s == "201") {
                    add_header(created, "Location", "Where the created resource is read");
                }
                let in_use = "The Idempotency-Key's first request is still running";
                add(responses, "409", problem(in_use));
                let reused = "The Idempotency-Key was used with another request";
                add(responses, "422", problem(reused));
            }
            responses.sort_by(|a, b| a.0.cmp(&b.0));
            if creates {
                add_idempotency_key(op);
            }
        }
    }
}

/// `security: [{}]` (or none at all): callable without credentials.
fn is_public(op: &Json) -> bool {
    match op.get("security") {
        Some(Json::Array(reqs)) => reqs
            .iter()
            .any(|r| matches!(r, Json::Object(members) if members.is_empty())),
        _ => false,
    }
}

fn add(responses: &mut Vec<(String, Json)>, status: &str, response: Json) {
    if responses.iter().all(|(s, _)| s != status) {
        responses.push((status.to_owned(), response));
    }
}

fn json(text: &str) -> Json {
    Json::parse(text.as_bytes()).unwrap_or(Json::Null)
}

fn problem(description: &str) -> Json {
    let description = serde_json::to_string(description).unwrap_or_default();
    json(&format!(
        r##"{{"description":{description},"content":{{"application/problem+json":{{"schema":{{"$ref":"#/components/schemas/Problem"}}}}}}}}"##
    ))
}

fn integer_header(description: &str) -> Json {
    json(&format!(
        r#"{{"description":"{description}","schema":{{"type":"integer","minimum":0}}}}"#
    ))
}

fn rate_limited() -> Json {
    let mut response = problem("Rate limited: retry after `Retry-After` seconds");
    if let Some(headers) = response.entry("headers").and_then(Json::members_mut) {
        for (name, description) in [
            ("Retry-After", "Seconds to wait"),
            ("RateLimit-Limit", "The bucket's size"),
            ("RateLimit-Remaining", "Requests left in the bucket"),
            ("RateLimit-Reset", "Seconds until the bucket refills"),
        ] {
            headers.push((name.to_owned(), integer_header(description)));
        }
    }
    response
}

fn add_header(response: &mut Json, name: &str, description: &str) {
    let Some(headers) = response.entry("headers").and_then(Json::members_mut) else {
        return;
    };
    if headers.iter().all(|(n, _)| !n.eq_ignore_ascii_case(name)) {
        let header = json(&format!(
            r#"{{"description":"{description}","schema":{{"type":"string"}}}}"#
        ));
        headers.push((name.to_owned(), header));
    }
}

fn add_idempotency_key(op: &mut Json) {
    let Some(members) = op.members_mut() else {
        return;
    };
    if members.iter().all(|(k, _)| k != "parameters") {
        // Where utoipa writes it: before the request body.
        let at = members
            .iter()
            .position(|(k, _)| k == "requestBody" || k == "responses")
            .unwrap_or(members.len());
        members.insert(at, ("parameters".into(), Json::Array(Vec::new())));
    }
    let Some(Json::Array(params)) = op.entry("parameters") else {
        return;
    };
    let named = |p: &Json| matches!(p.get("name"), Some(Json::String(n)) if n.eq_ignore_ascii_case("idempotency-key"));
    if !params.iter().any(named) {
        params.push(json(
            r#"{"name":"Idempotency-Key","in":"header","description":"Makes a retried create safe: once a request with the key succeeds, the same key with the same body within 24 h returns its answer, and with another body it is a `422`; a refused (`4xx`) or failed (`5xx`) request keeps nothing, so the key may be sent again, with the same body or a corrected one; while the first runs, a `409`. Scoped to the caller.","required":false,"schema":{"type":"string","maxLength":255,"minLength":1}}"#,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_get_the_idempotency_key_and_location_and_every_operation_the_edges_answers() {
        let mut doc = json(
            r#"{"paths":{
                "/api/v1/things":{"post":{"security":[{"bearer":[]}],"responses":{"201":{"description":"Created"},"422":{"description":"Bad"}}}},
                "/api/v1/tracking/{tn}":{"get":{"security":[{}],"responses":{"200":{"description":"Public"}}}},
                "/api/v1/users":{"get":{"security":[{"bearer":[]}],"responses":{"200":{"description":"Users"},"401":{"description":"Own words"}}}}
            }}"#,
        );

        document_the_edge(&mut doc);

        let op = |path: &str, method: &str| {
            doc.get("paths")
                .and_then(|p| p.get(path))
                .and_then(|i| i.get(method))
                .cloned()
                .expect("operation")
        };
        let statuses = |op: &Json| match op.get("responses") {
            Some(Json::Object(r)) => r.iter().map(|(s, _)| s.clone()).collect::<Vec<_>>(),
            _ => Vec::new(),
        };
        let create = op("/api/v1/things", "post");
        assert_eq!(
            statuses(&create),
            ["201", "401", "409", "422", "429", "502", "504"]
        );
        let created = create.get("responses").and_then(|r| r.get("201"));
        assert!(created
            .and_then(|c| c.get("headers"))
            .and_then(|h| h.get("Location"))
            .is_some());
        let Some(Json::Array(params)) = create.get("parameters") else {
            panic!("parameters");
        };
        assert_eq!(
            params[0].get("name"),
            Some(&Json::String("Idempotency-Key".into()))
        );
        let public = op("/api/v1/tracking/{tn}", "get");
        assert_eq!(statuses(&public), ["200", "429", "502", "504"], "no 401");
        assert!(public.get("parameters").is_none(), "not a create");
        let own = op("/api/v1/users", "get");
        assert_eq!(statuses(&own), ["200", "401", "429"], "not proxied");
        assert_eq!(
            own.get("responses").and_then(|r| r.get("401")),
            Some(&json(r#"{"description":"Own words"}"#)),
            "an operation's own answer is kept"
        );
    }
}
