//! The customer file end to end through the gateway: a complaint about a customer lands on
//! their timeline and, once closed, plans a callback; a merge of two files is undone exactly;
//! an erased customer's name, phone and email stand in clear in no database of the suite.

use chrono::Utc;
use kuaidi_shared::events::catalogue::ComplaintClosedV1;
use kuaidi_shared::testing::{eventually, expect_json, poll_json, publish};
use kuaidi_tests::Suite;
use serde_json::{json, Value};
use std::time::Duration;
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_closed_complaint_lands_on_the_timeline_and_plans_a_callback_for_the_owner() {
    let suite = Suite::start().await;
    let admin = suite.admin_token().await;
    let owner = Uuid::now_v7();
    let customer = expect_json(
        suite
            .post(
                &admin,
                "/api/v1/customers",
                &json!({"kind": "business", "name": "杭州阿克米贸易",
                "phones": ["13812345678"], "owner_id": owner}),
            )
            .await,
        201,
    )
    .await;
    let id = customer["id"].as_str().expect("id").to_owned();
    let complaint = expect_json(
        suite
            .post(
                &admin,
                "/api/v1/complaints",
                &json!({"type": "complaint", "channel": "phone",
                "description": "Parcel three days late", "customer_id": id}),
            )
            .await,
        201,
    )
    .await;
    let path = format!("/api/v1/customers/{id}");
    poll_json(
        Duration::from_secs(15),
        "the complaint on the timeline",
        || suite.get(&admin, &path),
        |c| {
            (c["interactions"][0]["kind"] == "complaint" && c["stats"]["complaints_open"] == 1)
                .then_some(())
        },
    )
    .await;

    // Closed as the complaints service announces it.
    let closed_at = Utc::now();
    let closed = ComplaintClosedV1 {
        complaint_id: complaint["id"].as_str().expect("id").parse().expect("uuid"),
        number: complaint["number"].as_str().unwrap_or_default().to_owned(),
        customer_id: Some(id.parse().expect("uuid")),
        merchant_id: None,
        tracking_number: None,
        category: None,
        city: None,
        assignee_id: None,
        received_at: closed_at,
        first_responded_at: None,
        closed_at,
        resolution_code: Some("resolved".into()),
        root_cause: None,
        type_: "complaint".into(),
    };
    let event = kuaidi_shared::testing::relayed("complaints", &id, &closed, closed_at);
    publish(&suite.env.amqp, &event).await;

    let tasks: Value = eventually(
        Duration::from_secs(15),
        "a callback for the owner",
        || async {
            let page: Value = suite
                .get(
                    &admin,
                    &format!("/api/v1/follow-ups?assignee={owner}&status=open"),
                )
                .await
                .json()
                .await
                .ok()?;
            (page["data"].as_array()?.len() == 1).then_some(page)
        },
    )
    .await;
    assert_eq!(tasks["data"][0]["rule"], "complaint_callback");
    assert_eq!(tasks["data"][0]["customer_id"], id.as_str());
    let c = expect_json(suite.get(&admin, &path).await, 200).await;
    assert_eq!(c["stats"]["complaints_open"], 0);
    assert_eq!(
        c["interactions"].as_array().map(Vec::len),
        Some(2),
        "received and closed"
    );
    assert_eq!(c["follow_ups"][0]["rule"], "complaint_callback");
    suite.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_merge_through_the_gateway_is_undone_exactly() {
    let suite = Suite::start().await;
    let admin = suite.admin_token().await;
    let create = |body: Value| {
        let (suite, admin) = (&suite, &admin);
        async move {
            expect_json(
                suite
                    .post(admin, "/api/v1/customers?allow_duplicate=true", &body)
                    .await,
                201,
            )
            .await
        }
    };
    let s = create(
        json!({"kind": "individual", "name": "王小明", "phones": ["13900001111"], "tags": ["vip"]}),
    )
    .await;
    let d = create(json!({"kind": "individual", "name": "王晓明", "phones": ["13900001111"], "emails": ["xm@example.com"]})).await;
    let (sid, did) = (s["id"].as_str().expect("id"), d["id"].as_str().expect("id"));
    let before_s = expect_json(
        suite.get(&admin, &format!("/api/v1/customers/{sid}")).await,
        200,
    )
    .await;
    let before_d = expect_json(
        suite.get(&admin, &format!("/api/v1/customers/{did}")).await,
        200,
    )
    .await;

    let pairs = expect_json(suite.get(&admin, "/api/v1/customers/duplicates").await, 200).await;
    assert_eq!(pairs["data"][0]["matched_on"], json!(["phone"]));
    // A dry run writes nothing: it is no merge in the audit log.
    let dry = format!("/api/v1/customers/{sid}/merge?dry_run=true");
    expect_json(
        suite
            .post(&admin, &dry, &json!({"duplicate_id": did}))
            .await,
        200,
    )
    .await;
    let merged = expect_json(
        suite
            .post(
                &admin,
                &format!("/api/v1/customers/{sid}/merge"),
                &json!({"duplicate_id": did}),
            )
            .await,
        200,
    )
    .await;
    assert_eq!(
        merged["customer"]["emails"],
        json!(["xm@example.com"]),
        "nothing lost"
    );
    let found = expect_json(
        suite
            .get(&admin, "/api/v1/customers?q=xm%40example.com")
            .await,
        200,
    )
    .await;
    assert_eq!(
        found["data"][0]["id"], sid,
        "the survivor answers for the duplicate's email"
    );

    let merge_id = merged["merge_id"].as_str().expect("merge id");
    expect_json(
        suite
            .post(
                &admin,
                &format!("/api/v1/customers/merges/{merge_id}:undo"),
                &json!({}),
            )
            .await,
        200,
    )
    .await;
    for (action, target) in [("customer.merge", sid), ("customer.merge_undo", merge_id)] {
        let path = format!("/api/v1/audit-log?action={action}");
        let audited = expect_json(suite.get(&admin, &path).await, 200).await;
        assert_eq!(audited["data"][0]["target"], target, "{action} audited");
        let rows = audited["data"].as_array().map(Vec::len);
        assert_eq!(rows, Some(1), "{action} audited once: {audited}");
    }
    let after_s = expect_json(
        suite.get(&admin, &format!("/api/v1/customers/{sid}")).await,
        200,
    )
    .await;
    let after_d = expect_json(
        suite.get(&admin, &format!("/api/v1/customers/{did}")).await,
        200,
    )
    .await;
    for field in ["name", "phones", "emails", "tags", "merged_into"] {
        assert_eq!(after_s[field], before_s[field], "survivor {field}");
        assert_eq!(after_d[field], before_d[field], "duplicate {field}");
    }
    // The data exactly, as new versions (an ETag from before the merge is stale).
    let version = |c: &serde_json::Value| c["version"].as_i64().expect("a version");
    assert!(version(&after_s) > version(&before_s));
    assert!(version(&after_d) > version(&before_d));
    suite.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_end_customer_reads_their_own_file_and_sets_only_their_preferences() {
    let suite = Suite::start().await;
    let admin = suite.admin_token().await;
    expect_json(
        suite
            .post(
                &admin,
                "/api/v1/customers",
                &json!({"kind": "individual", "name": "李雷", "phones": ["13812345678"]}),
            )
            .await,
        201,
    )
    .await;
    let pii = kuaidi_shared::crypto::PiiCipher::new(
        &suite.env.settings_with("postgres://unused".into()).pii,
    )
    .expect("pii cipher");
    let token = suite.env.customer_token(&pii.blind_index("13812345678"));

    let me = expect_json(suite.get(&token, "/api/v1/customers/me").await, 200).await;
    assert_eq!(
        me["phones"],
        json!(["13812345678"]),
        "their own phone, unmasked"
    );
    let path = suite.url(&format!(
        "/api/v1/customers/{}",
        me["id"].as_str().expect("id")
    ));
    let patch = |body: Value| {
        suite
            .env
            .http
            .patch(&path)
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let prefs =
        patch(json!({"preferences": {"contact_channel": "app", "delivery_window": "18:00-21:00"}}))
            .await
            .expect("sent");
    assert_eq!(
        expect_json(prefs, 200).await["preferences"]["delivery_window"],
        "18:00-21:00"
    );
    let renamed = patch(json!({"name": "Someone else"})).await.expect("sent");
    assert_eq!(renamed.status(), 403);
    let stranger = suite.env.customer_token(&pii.blind_index("13900000000"));
    assert_eq!(
        suite.get(&stranger, "/api/v1/customers/me").await.status(),
        404
    );
    suite.stop().await;
}

/// Where `needle` still stands in clear in `database`: `table.column` of every text, JSON,
/// array and byte column of every table (outbox payloads, processed events, audit log and
/// idempotency records included), case-insensitively.
fn clear_copies(database: &str, needles: &[&str]) -> Vec<String> {
    use diesel::prelude::*;
    use diesel::sql_types::{BigInt, Text};
    #[derive(QueryableByName)]
    struct Column {
        #[diesel(sql_type = Text)]
        table_name: String,
        #[diesel(sql_type = Text)]
        column_name: String,
        #[diesel(sql_type = Text)]
        data_type: String,
    }
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let mut conn = PgConnection::establish(database).expect("database");
    let columns: Vec<Column> = diesel::sql_query(
        "SELECT c.table_name::text, c.column_name::text, c.data_type::text \
         FROM information_schema.columns c JOIN information_schema.tables t \
           ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
         WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' \
           AND c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', \
                               'ARRAY', 'bytea', 'USER-DEFINED')",
    )
    .load(&mut conn)
    .expect("columns");
    let mut found = Vec::new();
    for col in &columns {
        let (t, c) = (&col.table_name, &col.column_name);
        let test = if col.data_type == "bytea" {
            format!("position(convert_to($1, 'UTF8') IN \"{c}\") > 0")
        } else {
            format!("\"{c}\"::text ILIKE '%' || $1 || '%'")
        };
        for needle in needles {
            let n = diesel::sql_query(format!("SELECT count(*) AS n FROM \"{t}\" WHERE {test}"))
                .bind::<Text, _>(*needle)
                .get_result::<Count>(&mut conn)
                .expect("scan")
                .n;
            if n > 0 {
                found.push(format!("{t}.{c} holds {needle:?} ({n} rows)"));
            }
        }
    }
    found
}

/// Ids of the `customer.erased` events `database` has handled.
fn erasures_handled(database: &str) -> i64 {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = PgConnection::establish(database).expect("database");
    diesel::sql_query(
        "SELECT count(*) AS n FROM processed_events WHERE event_type = 'customer.erased'",
    )
    .get_result::<Count>(&mut conn)
    .expect("processed events")
    .n
}

/// Every database is scanned whole, outboxes and processed events included: events carry ids
/// and blind indexes, never clear PII (SPEC §4 erasure, §7), so an outbox keeps nothing to
/// scrub; the gateway's audit log names targets by id and its idempotency records are sealed.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_erased_customer_leaves_no_pii_in_any_database() {
    let suite = Suite::start().await;
    let admin = suite.admin_token().await;
    let tag = Uuid::now_v7().simple().to_string();
    let name = format!("Erasmus Quellenberg {}", &tag[24..]);
    let phone = format!("139{}", &Uuid::now_v7().as_u128().to_string()[..8]);
    let email = format!("erasmus.{}@example.com", &tag[24..]);
    // With an Idempotency-Key: the gateway keeps the answer (sealed) for replays.
    let customer = expect_json(
        suite
            .env
            .http
            .post(suite.url("/api/v1/customers"))
            .bearer_auth(&admin)
            .header("Idempotency-Key", &tag)
            .json(
                &json!({"kind": "individual", "name": name, "phones": [phone],
            "emails": [email], "addresses": [{"label": "home",
            "address": format!("{name} 建国路 88 号"), "city": "上海"}]}),
            )
            .send()
            .await
            .expect("sent"),
        201,
    )
    .await;
    let id = customer["id"].as_str().expect("id").to_owned();
    let merchant = Uuid::now_v7();
    let mut tracking = Vec::new();
    for _ in 0..2 {
        let shipment = expect_json(
            suite
                .post(
                    &admin,
                    "/api/v1/shipments",
                    &json!({"recipient": {"name": name, "phone": phone,
                        "address": format!("{name}, 建国路 88 号"), "city": "上海"},
                    "origin": {"city": "杭州"}, "destination": {"city": "上海"},
                    "service_level": "express", "weight_kg": 1.2,
                    "freight": {"amount": "18.00", "currency": "CNY"},
                    "shipper_customer_id": id, "merchant_id": merchant}),
                )
                .await,
            201,
        )
        .await;
        tracking.push(shipment["tracking_number"].as_str().expect("tn").to_owned());
    }
    expect_json(
        suite
            .post(
                &admin,
                "/api/v1/complaints",
                &json!({"type": "complaint", "channel": "phone", "customer_id": id,
                "tracking_number": tracking[0],
                "description": format!("{name} here, call me on {phone} or write to {email}")}),
            )
            .await,
        201,
    )
    .await;
    let path = format!("/api/v1/customers/{id}");
    expect_json(
        suite
            .post(
                &admin,
                &format!("{path}/interactions"),
                &json!({"channel": "phone", "direction": "in", "kind": "inquiry",
                "summary": format!("{name} asked us to use {email}")}),
            )
            .await,
        201,
    )
    .await;
    expect_json(
        suite
            .post(
                &admin,
                &format!("{path}/follow-ups"),
                &json!({"due_at": Utc::now() + chrono::Duration::days(2),
                "reason": format!("call {name} back on {phone}")}),
            )
            .await,
        201,
    )
    .await;
    // Every copy is made before the erasure: the shipments and the complaint reached the file.
    poll_json(
        Duration::from_secs(20),
        "the shipments and the complaint on the file",
        || suite.get(&admin, &path),
        |c| (c["stats"]["shipments_12m"] == 2 && c["stats"]["complaints_open"] == 1).then_some(()),
    )
    .await;
    let needles = [name.as_str(), phone.as_str(), email.as_str()];
    let db = |label: &str| {
        suite
            .databases
            .iter()
            .find(|(l, _)| *l == label)
            .map(|(_, url)| url.clone())
            .expect("database")
    };
    let scan = || -> Vec<String> {
        suite
            .databases
            .iter()
            .flat_map(|(label, url)| {
                clear_copies(url, &needles)
                    .into_iter()
                    .map(move |f| format!("{label}: {f}"))
            })
            .collect()
    };
    // The scan sees the clear copies there are before the erasure.
    let before = scan();
    for copy in [
        "customers: customers.name",
        "customers: interactions.summary",
        "customers: follow_ups.reason",
        "complaints: complaints.description",
    ] {
        assert!(
            before.iter().any(|f| f.starts_with(copy)),
            "{copy} found before the erasure: {before:#?}"
        );
    }

    let erased = suite
        .env
        .http
        .delete(suite.url(&path))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("sent");
    assert_eq!(erased.status(), 204);
    let request_id = erased.headers()["x-request-id"].to_str().expect("id");
    let audited = suite
        .get(&admin, "/api/v1/audit-log?action=customer.erase")
        .await;
    let audited = expect_json(audited, 200).await;
    let entry = &audited["data"][0];
    assert_eq!(
        entry["target"],
        json!(id),
        "the erasure is audited: {audited}"
    );
    assert_eq!(entry["request_id"], json!(request_id));
    assert_eq!(entry["role"], "admin");
    for label in ["shipments", "complaints"] {
        let url = db(label);
        eventually(
            Duration::from_secs(20),
            "customer.erased handled",
            || async { (erasures_handled(&url) == 1).then_some(()) },
        )
        .await;
    }

    let found = scan();
    assert!(found.is_empty(), "PII left after erasure: {found:#?}");
    suite.stop().await;
}
