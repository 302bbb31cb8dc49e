//! Merging the services' documents into the gateway's, as JSON and exactly as utoipa's
//! `OpenApi::merge` would: paths and components the gateway lacks are added (maps stay
//! sorted, as utoipa keeps them), servers, security and tags not yet listed are appended.
//! Then every operation that takes a bearer token also takes a merchant API key.

use super::ordered::Json;

/// One service's document, or why there is none.
pub struct Part {
    pub service: &'static str,
    pub doc: Option<Json>,
    /// Set when the service did not answer the last fetch (`doc` is then its last document).
    pub unavailable: Option<String>,
}

/// The operations of a path item, in utoipa's order.
const OPERATIONS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The whole API's document: `own` with every part merged in, in order.
pub fn merged(mut own: Json, parts: Vec<Part>) -> Json {
    let mut unavailable = Vec::new();
    for part in parts {
        if let Some(reason) = part.unavailable {
            unavailable.push((part.service.to_owned(), Json::String(reason)));
        }
        if let Some(doc) = part.doc {
            merge(&mut own, doc);
        }
    }
    accept_api_keys(&mut own);
    if !unavailable.is_empty() {
        if let Some(members) = own.members_mut() {
            // NOTE: marks a document partly stale or incomplete; absent when every service answered.
            members.push(("x-kuaidi-unavailable".into(), Json::Object(unavailable)));
        }
    }
    own
}

/// Merges `other` into `doc` (utoipa's `OpenApi::merge`).
pub fn merge(doc: &mut Json, other: Json) {
    let Json::Object(members) = other else {
        return;
    };
    for (key, value) in members {
        match key.as_str() {
            "servers" | "security" | "tags" => append_missing(doc, &key, value),
            "paths" => merge_map(doc, &key, value, merge_path_item),
            "components" => {
                let Json::Object(kinds) = value else { continue };
                for (kind, map) in kinds {
                    if let Some(components) = doc.entry("components") {
                        merge_map(components, &kind, map, |_, _| {});
                    }
                }
            }
            // `openapi`, `info`, `externalDocs` and the rest stay the gateway's.
            _ => {}
        }
    }
}

/// Appends the items of `value` not already in `doc[key]`.
fn append_missing(doc: &mut Json, key: &str, value: Json) {
    let Json::Array(items) = value else { return };
    if items.is_empty() {
        return;
    }
    let Some(target) = doc.entry(key) else { return };
    if matches!(target, Json::Object(m) if m.is_empty()) {
        *target = Json::Array(Vec::new());
    }
    if let Json::Array(existing) = target {
        for item in items {
            if !existing.contains(&item) {
                existing.push(item);
            }
        }
    }
}

/// Adds the members of `value` missing from `doc[key]` (or combines both with `same`), then
/// sorts the members by name, as a `BTreeMap` would.
fn merge_map(doc: &mut Json, key: &str, value: Json, same: fn(&mut Json, Json)) {
    let Json::Object(incoming) = value else {
        return;
    };
    let Some(target) = doc.entry(key).and_then(Json::members_mut) else {
        return;
    };
    for (name, item) in incoming {
        match target.iter_mut().find(|(n, _)| *n == name) {
            Some((_, existing)) => same(existing, item),
            None => target.push((name, item)),
        }
    }
    target.sort_by(|a, b| a.0.cmp(&b.0));
}

/// Two services on one path: the first one's operations win, the others' are added.
fn merge_path_item(existing: &mut Json, other: Json) {
    let Json::Object(ops) = other else { return };
    let Some(members) = existing.members_mut() else {
        return;
    };
    for (op, value) in ops {
        if OPERATIONS.contains(&op.as_str()) && members.iter().all(|(k, _)| *k != op) {
            members.push((op, value));
        }
    }
    let rank = |k: &str| OPERATIONS.iter().position(|o| *o == k);
    members.sort_by_key(|(k, _)| rank(k));
}

/// Wherever a bearer token is accepted through the gateway, a merchant API key is too (the
/// gateway exchanges it for a token), except on the gateway's own admin routes and the app's
/// customer-token exchange.
fn accept_api_keys(doc: &mut Json) {
    const OWN: [&str; 5] = [
        "/api/v1/users",
        "/api/v1/clients",
        "/api/v1/api-keys",
        "/api/v1/audit-log",
        "/api/v1/auth/customer-token",
    ];
    let Some(paths) = doc.entry("paths").and_then(Json::members_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        if OWN.iter().any(|own| path.starts_with(own)) {
            continue;
        }
        for op in ["get", "post", "put", "patch", "delete"] {
            let Some(Json::Array(security)) = item
                .members_mut()
                .and_then(|m| m.iter_mut().find(|(k, _)| k == op))
                .and_then(|(_, o)| o.members_mut())
                .and_then(|o| o.iter_mut().find(|(k, _)| k == "security"))
                .map(|(_, s)| s)
            else {
                continue;
            };
            // `[{}]` is a public operation: nothing to add.
            let public = security
                .iter()
                .any(|r| matches!(r, Json::Object(members) if members.is_empty()));
            if !security.is_empty() && !public {
                security.push(Json::Object(vec![("api_key".into(), Json::Array(vec![]))]));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Json {
        Json::parse(text.as_bytes()).expect("json")
    }

    #[test]
    fn paths_and_schemas_are_added_sorted_and_the_gateways_own_win() {
        let own = json(
            r#"{"openapi":"3.1.0","paths":{"/b":{"get":{"security":[{"bearer":[]}]}}},"components":{"schemas":{"B":{}}},"tags":[{"name":"auth"}]}"#,
        );
        let service = json(
            r#"{"openapi":"3.1.0","paths":{"/a":{"post":{}},"/b":{"get":{"x":1},"put":{}}},"components":{"schemas":{"A":{},"B":{"x":1}}},"tags":[{"name":"auth"},{"name":"s"}]}"#,
        );
        let part = Part {
            service: "s",
            doc: Some(service),
            unavailable: None,
        };

        let out = serde_json::to_string(&merged(own, vec![part])).expect("text");

        assert_eq!(
            out,
            r#"{"openapi":"3.1.0","paths":{"/a":{"post":{}},"/b":{"get":{"security":[{"bearer":[]},{"api_key":[]}]},"put":{}}},"components":{"schemas":{"A":{},"B":{}}},"tags":[{"name":"auth"},{"name":"s"}]}"#
        );
    }

    #[test]
    fn a_service_that_did_not_answer_is_marked() {
        let part = Part {
            service: "shipments",
            doc: None,
            unavailable: Some("never fetched".into()),
        };
        let out = merged(json(r#"{"paths":{}}"#), vec![part]);
        assert_eq!(
            out.get("x-kuaidi-unavailable")
                .and_then(|u| u.get("shipments")),
            Some(&Json::String("never fetched".into()))
        );
    }
}
