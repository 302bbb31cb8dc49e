//! A case's history and evidence are lists (SPEC §2): `{data, next_cursor}` pages of at most
//! `limit` (default 50, at most 200), oldest first, continued by `cursor`.

use kuaidi_shared::auth::Role;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{complaint, json_of, refused_fields, Desk};

/// Every page of `path` at `limit` a page, following `next_cursor` until it is `null`.
async fn pages(t: &Desk, token: &str, path: &str, limit: usize) -> Vec<Vec<Value>> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}?limit={limit}&cursor={c}"),
            None => format!("{path}?limit={limit}"),
        };
        let page = json_of(t.get(token, &url).await, 200).await;
        let data = page["data"].as_array().expect("data").clone();
        assert!(data.len() <= limit, "at most {limit} a page: {page}");
        pages.push(data);
        match &page["next_cursor"] {
            Value::Null => return pages,
            Value::String(c) => cursor = Some(c.clone()),
            other => panic!("next_cursor is a string or null, not {other}"),
        }
        assert!(pages.len() < 10, "the pages end");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cases_history_is_paged_oldest_first_and_outsiders_pages_skip_internal_notes() {
    let t = Desk::spawn().await;
    let merchant = Uuid::now_v7();
    let mut body = complaint("delay");
    body["merchant_id"] = json!(merchant);
    let id = t.created(&t.admin(), &body).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    for (n, internal) in [(1, true), (2, false), (3, true), (4, false), (5, false)] {
        let note = json!({"text": format!("note {n}"), "internal": internal});
        t.acted(&t.admin(), &id, "comment", note).await;
    }
    let path = format!("/api/v1/complaints/{id}/history");

    let staff = pages(&t, &t.admin(), &path, 4).await;
    let merchants = pages(&t, &t.env.token(Role::Merchant, Some(merchant)), &path, 2).await;

    let sizes = |p: &[Vec<Value>]| p.iter().map(Vec::len).collect::<Vec<_>>();
    assert_eq!(sizes(&staff), vec![4, 2], "six entries, four a page");
    let texts: Vec<Value> = staff
        .concat()
        .iter()
        .map(|e| e["payload"]["text"].clone())
        .collect();
    let notes =
        |ns: &[u8]| -> Vec<Value> { ns.iter().map(|n| json!(format!("note {n}"))).collect() };
    let mut expected = vec![Value::Null];
    expected.extend(notes(&[1, 2, 3, 4, 5]));
    assert_eq!(texts, expected, "oldest first, across pages");
    assert_eq!(
        sizes(&merchants),
        vec![2, 2],
        "the receipt and three public notes fill two full pages; the last says there is no more"
    );
    let seen: Vec<Value> = merchants
        .concat()
        .iter()
        .map(|e| e["payload"]["text"].clone())
        .collect();
    let mut expected = vec![Value::Null];
    expected.extend(notes(&[2, 4, 5]));
    assert_eq!(seen, expected, "no internal note on a merchant's pages");
    let default = json_of(t.get(&t.admin(), &path).await, 200).await;
    assert_eq!(
        (
            default["data"].as_array().map(Vec::len),
            &default["next_cursor"]
        ),
        (Some(6), &Value::Null),
        "default limit 50"
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cases_evidence_is_paged_oldest_first() {
    let t = Desk::spawn().await;
    let id = t.opened("damaged").await;
    let path = format!("/api/v1/complaints/{id}/evidence");
    for n in 1..=5 {
        let item = json!({"kind": "photo", "description": format!("photo {n}"),
            "uri": format!("https://files.example.com/{n}.jpg")});
        json_of(t.post(&t.admin(), &path, &item).await, 201).await;
    }

    let got = pages(&t, &t.admin(), &path, 2).await;

    let sizes: Vec<usize> = got.iter().map(Vec::len).collect();
    assert_eq!(sizes, vec![2, 2, 1], "five pieces, two a page");
    let descriptions: Vec<Value> = got
        .concat()
        .iter()
        .map(|e| e["description"].clone())
        .collect();
    let expected: Vec<Value> = (1..=5).map(|n| json!(format!("photo {n}"))).collect();
    assert_eq!(descriptions, expected, "oldest first, across pages");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_limit_or_cursor_of_history_and_evidence_is_a_422() {
    let t = Desk::spawn().await;
    let id = t.opened("damaged").await;
    for list in ["history", "evidence"] {
        let base = format!("/api/v1/complaints/{id}/{list}");
        let too_many = t.get(&t.admin(), &format!("{base}?limit=201")).await;
        assert_eq!(refused_fields(too_many).await, vec!["limit"], "{list}");
        let forged = t
            .get(&t.admin(), &format!("{base}?cursor=bm90LWEtY3Vyc29y"))
            .await;
        assert_eq!(refused_fields(forged).await, vec!["cursor"], "{list}");
    }
    t.stop().await;
}
