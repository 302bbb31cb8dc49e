//! Masked answers are valid answers: a customer's PII masked for a caller without the right
//! (`138****5678`, `***`, `****-**-**`) fits the schema the service documents for it.

use kuaidi_shared::auth::Role;
use kuaidi_shared::testing::expect_json;
use serde_json::{json, Value};

use crate::helpers::{create, id_of, spawn};

/// The schema `schema` points to (`$ref`s within the document resolved).
fn resolved<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => {
            let target = r
                .strip_prefix('#')
                .and_then(|p| doc.pointer(p))
                .unwrap_or_else(|| panic!("{r} resolves in the document"));
            resolved(doc, target)
        }
        None => schema,
    }
}

/// Whether `value` is of JSON Schema type `ty`.
fn of_type(value: &Value, ty: &str) -> bool {
    match ty {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        other => panic!("unknown type {other}"),
    }
}

/// Where `value` breaks `schema` (the subset of JSON Schema utoipa writes: `$ref`, `type`,
/// `enum`, `format`, `oneOf`/`anyOf`/`allOf`, `properties`, `required`, `items`,
/// `additionalProperties`), each as a path and what is wrong.
fn violations(doc: &Value, schema: &Value, value: &Value, at: &str) -> Vec<String> {
    let schema = resolved(doc, schema);
    let fits = |s: &Value| violations(doc, s, value, at).is_empty();
    let mut out = Vec::new();
    if let Some(types) = schema.get("type") {
        let types: Vec<&str> = match types {
            Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
            one => one.as_str().into_iter().collect(),
        };
        if !types.iter().any(|t| of_type(value, t)) {
            return vec![format!("{at}: {value} is not of type {types:?}")];
        }
    }
    if let Some(allowed) = schema["enum"].as_array() {
        if !allowed.contains(value) {
            out.push(format!("{at}: {value} is not one of {allowed:?}"));
        }
    }
    if let (Some("date"), Some(text)) = (schema["format"].as_str(), value.as_str()) {
        if chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_err() {
            out.push(format!("{at}: {text:?} is not a date"));
        }
    }
    if let Some(branches) = schema["oneOf"].as_array() {
        let n = branches.iter().filter(|b| fits(b)).count();
        if n != 1 {
            out.push(format!("{at}: {value} fits {n} branches of oneOf"));
        }
    }
    if let Some(branches) = schema["anyOf"].as_array() {
        if !branches.iter().any(fits) {
            out.push(format!("{at}: {value} fits no branch of anyOf"));
        }
    }
    for branch in schema["allOf"].as_array().into_iter().flatten() {
        out.extend(violations(doc, branch, value, at));
    }
    if let Some(fields) = value.as_object() {
        for name in schema["required"].as_array().into_iter().flatten() {
            let name = name.as_str().unwrap_or_default();
            if !fields.contains_key(name) {
                out.push(format!("{at}.{name}: required, missing"));
            }
        }
        for (name, v) in fields {
            let field = &schema["properties"][name];
            let rest = &schema["additionalProperties"];
            let of = if field.is_null() { rest } else { field };
            if of.is_object() {
                out.extend(violations(doc, of, v, &format!("{at}.{name}")));
            }
        }
    }
    for (i, item) in value.as_array().into_iter().flatten().enumerate() {
        if schema["items"].is_object() {
            out.extend(violations(
                doc,
                &schema["items"],
                item,
                &format!("{at}[{i}]"),
            ));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_read_masked_fits_the_documented_schema() {
    let app = spawn().await;
    let extras = json!({"kind": "individual", "name": "韩梅梅", "phones": ["13812345678"],
        "emails": ["han@example.com"],
        "addresses": [{"label": "home", "address": "1 Main St", "is_frequent": true}],
        "birthday": "1990-03-14", "family": {"children": 2},
        "consents": {"profile_extras": true}});
    let id = id_of(&create(&app, &extras).await);
    let doc = expect_json(app.get(&app.token(Role::Admin), "/openapi.json").await, 200).await;
    let schema = &doc["components"]["schemas"]["Customer"];
    assert!(schema.is_object(), "Customer is documented");
    let path = format!("/api/v1/customers/{id}");

    let unmasked = expect_json(app.get(&app.token(Role::Admin), &path).await, 200).await;
    assert_eq!(unmasked["family"], json!({"children": 2}), "{unmasked}");
    assert_eq!(
        violations(&doc, schema, &unmasked, "customer"),
        Vec::<String>::new(),
        "an unmasked read fits the schema"
    );

    let masked = expect_json(app.get(&app.token(Role::Analyst), &path).await, 200).await;
    assert_eq!(
        (&masked["birthday"], &masked["family"], &masked["phones"]),
        (&json!("****-**-**"), &json!("***"), &json!(["138****5678"])),
        "an analyst reads PII masked: {masked}"
    );
    assert_eq!(
        violations(&doc, schema, &masked, "customer"),
        Vec::<String>::new(),
        "a masked read fits the schema"
    );
    let family = resolved(&doc, &schema["properties"]["family"]).to_string();
    assert!(
        family.contains("masked"),
        "family's masking is documented: {family}"
    );
    let birthday = resolved(&doc, &schema["properties"]["birthday"]).to_string();
    assert!(
        birthday.contains("****-**-**"),
        "birthday's masking is documented: {birthday}"
    );
    app.app.stop().await;
}
