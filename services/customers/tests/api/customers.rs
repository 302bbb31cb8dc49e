//! Customer files: creation, dedup, masking, tenant isolation, stats from events, edits.

use chrono::Duration;
use kuaidi_shared::auth::Role;
use kuaidi_shared::events::catalogue::ShipmentDeliveredV1;
use kuaidi_shared::testing::{expect_json, poll_json};
use serde_json::{json, Value};
use std::time::Duration as StdDuration;
use uuid::Uuid;

use crate::helpers::{acme, at, create, emit, id_of, phone_hash, shipment, spawn, spawn_at};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn created_customer_is_a_prospect_with_derived_city_tier() {
    let app = spawn().await;
    let resp = app
        .post(&app.token(Role::Admin), "/api/v1/customers", &acme())
        .await;
    let location = resp.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let c = expect_json(resp, 201).await;
    assert_eq!(
        location,
        format!("/api/v1/customers/{}", c["id"].as_str().expect("id"))
    );
    assert_eq!(c["lifecycle_stage"], "prospect");
    assert_eq!(c["value_tier"], "small");
    assert_eq!(c["region"]["city_tier"], "tier2");
    assert_eq!(
        c["phones"],
        json!(["13812345678"]),
        "admin sees the normalised phone"
    );
    assert_eq!(c["company"]["credit_code"], "91330100MA2XXXXX0A");
    assert_eq!(c["stats"]["shipments_12m"], 0);
    assert_eq!(c["interactions"], json!([]));
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_phone_is_a_409_naming_the_match_unless_duplicates_are_allowed() {
    let app = spawn().await;
    let admin = app.token(Role::Admin);
    let first = create(&app, &acme()).await;
    let other = json!({"kind": "individual", "name": "王五", "phones": ["13812345678"]});

    let problem = expect_json(app.post(&admin, "/api/v1/customers", &other).await, 409).await;
    assert_eq!(problem["code"], "duplicate_customer");
    assert_eq!(problem["matches"][0]["customer_id"], first["id"]);
    assert_eq!(problem["matches"][0]["matched_on"], json!(["phone"]));

    let allowed = expect_json(
        app.post(&admin, "/api/v1/customers?allow_duplicate=true", &other)
            .await,
        201,
    )
    .await;
    assert_ne!(allowed["id"], first["id"], "a second customer");
    let both = expect_json(
        app.get(&admin, "/api/v1/customers?q=13812345678").await,
        200,
    )
    .await;
    let mut ids: Vec<&Value> = both["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|c| &c["id"])
        .collect();
    ids.sort_by_key(|v| v.as_str().map(str::to_owned));
    let mut expected = vec![&first["id"], &allowed["id"]];
    expected.sort_by_key(|v| v.as_str().map(str::to_owned));
    assert_eq!(ids, expected, "both files hold the phone");
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_invalid_field_and_unknown_enum_value_is_reported_at_once() {
    let app = spawn().await;
    let bad = json!({"kind": "robot", "name": "", "phones": ["12"], "size": "huge",
        "region": {"city_tier": "tier9"}, "preferences": {"contact_channel": "pigeon"},
        "birthday": "1990-13-01"});
    let problem = expect_json(
        app.post(&app.token(Role::Admin), "/api/v1/customers", &bad)
            .await,
        422,
    )
    .await;
    let fields = kuaidi_shared::testing::strings(&problem["errors"], "field");
    let empty = app
        .post(&app.token(Role::Admin), "/api/v1/customers", &json!({}))
        .await;
    assert_eq!(
        expect_json(empty, 422).await["errors"]
            .as_array()
            .map(Vec::len),
        Some(2),
        "kind and name"
    );
    for f in [
        "kind",
        "name",
        "phones[0]",
        "size",
        "region.city_tier",
        "preferences.contact_channel",
        "birthday",
    ] {
        assert!(fields.contains(&f), "{f} reported in {fields:?}");
    }
    app.app.stop().await;
}

/// The audit flag of an answer (`None`: not flagged).
fn flag(resp: &reqwest::Response) -> Option<String> {
    resp.headers()
        .get("kuaidi-audit-pii")
        .map(|v| v.to_str().expect("ascii").to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_showing_pii_unmasked_is_flagged_for_the_audit_and_no_other() {
    let app = spawn().await;
    let admin = app.token(Role::Admin);
    let created = app
        .post(&admin, "/api/v1/customers?allow_duplicate=true", &acme())
        .await;
    let flagged = flag(&created);
    let id = id_of(&expect_json(created, 201).await);
    assert_eq!(flagged, Some(format!("customer:{id}")), "the create");
    let path = format!("/api/v1/customers/{id}");

    let masked = app.get(&app.token(Role::Analyst), &path).await;
    assert_eq!((masked.status().as_u16(), flag(&masked)), (200, None));
    let read = app.get(&admin, &path).await;
    assert_eq!(flag(&read), Some(format!("customer:{id}")), "a 360");
    let etag = read.headers()["etag"].to_str().expect("etag").to_owned();
    let unchanged = app.revalidate(&admin, &path, &etag).await;
    assert_eq!(
        (unchanged.status().as_u16(), flag(&unchanged)),
        (304, None),
        "a 304 shows nothing"
    );
    let owner = app
        .put(
            &admin,
            &format!("{path}/owner"),
            &json!({"owner_id": Uuid::now_v7()}),
        )
        .await;
    assert_eq!(
        (owner.status().as_u16(), flag(&owner)),
        (200, Some(format!("customer:{id}"))),
        "an owner change"
    );
    let twin = id_of(&create(&app, &acme()).await);
    let merged = app
        .post(
            &admin,
            &format!("{path}/merge"),
            &json!({"duplicate_id": twin}),
        )
        .await;
    assert_eq!(flag(&merged), Some(format!("customer:{id}")), "a merge");
    let merge_id = expect_json(merged, 200).await["merge_id"]
        .as_str()
        .expect("merge id")
        .to_owned();
    let undone = app
        .post(
            &admin,
            &format!("/api/v1/customers/merges/{merge_id}:undo"),
            &json!({}),
        )
        .await;
    assert_eq!(
        (undone.status().as_u16(), flag(&undone)),
        (200, Some(format!("customer:{id},{twin}"))),
        "an undo shows both"
    );
    let listed = app
        .get(
            &app.token(Role::Supervisor),
            "/api/v1/customers?q=13812345678",
        )
        .await;
    let shown = flag(&listed).expect("a search is flagged");
    assert!(
        shown.contains(&id.to_string()) && shown.contains(&twin.to_string()),
        "{shown}"
    );
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pii_is_masked_for_analysts_and_unowned_agents_and_merchants_see_only_their_own_account() {
    let app = spawn().await;
    let merchant = Uuid::now_v7();
    let mut body = acme();
    body["merchant_id"] = json!(merchant);
    let c = create(&app, &body).await;
    let path = format!("/api/v1/customers/{}", c["id"].as_str().expect("id"));

    let seen = expect_json(app.get(&app.token(Role::Analyst), &path).await, 200).await;
    assert_eq!(seen["phones"], json!(["138****5678"]));
    assert_eq!(seen["emails"], json!(["o***@acme.example"]));
    let agent = expect_json(app.get(&app.token(Role::Agent), &path).await, 200).await;
    assert_eq!(
        agent["phones"],
        json!(["138****5678"]),
        "not the agent's customer"
    );

    let own = app.get(&app.merchant(merchant), &path).await;
    assert_eq!(own.status(), 200);
    assert_eq!(
        own.headers()["kuaidi-audit-pii"],
        format!("customer:{}", c["id"].as_str().expect("id")).as_str()
    );
    assert_eq!(
        app.get(&app.merchant(Uuid::now_v7()), &path).await.status(),
        404
    );
    assert_eq!(
        app.get(&app.token(Role::Operator), &path).await.status(),
        403
    );
    assert_eq!(
        app.post(&app.token(Role::Analyst), "/api/v1/customers", &acme())
            .await
            .status(),
        403
    );
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_come_from_events_and_leave_the_window_after_twelve_months() {
    let now = at("2026-06-01T10:00:00Z");
    let app = spawn_at(now).await;
    let admin = app.token(Role::Admin);
    let id = id_of(&create(&app, &acme()).await);
    let path = format!("/api/v1/customers/{id}");
    emit(
        &app,
        "shipments",
        id,
        &shipment(id, "23.40", now - Duration::days(300)),
        now,
    )
    .await;
    emit(
        &app,
        "shipments",
        id,
        &shipment(id, "10.00", now - Duration::days(1)),
        now,
    )
    .await;
    let delivered = ShipmentDeliveredV1 {
        shipment_id: Uuid::now_v7(),
        tracking_number: "KD123456785CN".into(),
        merchant_id: None,
        shipper_customer_id: Some(id),
        substatus: None,
        promised_at: now,
        delivered_at: now - Duration::hours(1),
        on_time: true,
        sequence: 2,
        first_in_transit_at: None,
    };
    emit(&app, "shipments", id, &delivered, now).await;

    let stats = poll_json(
        StdDuration::from_secs(10),
        "two shipments and a delivery",
        || app.get(&admin, &path),
        |c| {
            (c["stats"]["shipments_12m"] == 2 && c["stats"]["on_time_rate"] == 1.0)
                .then(|| c["stats"].clone())
        },
    )
    .await;
    assert_eq!(
        stats["spend_12m"],
        json!({"amount": "33.40", "currency": "CNY"})
    );

    app.clock.advance(Duration::days(70));
    let c = expect_json(app.get(&admin, &path).await, 200).await;
    assert_eq!(
        c["stats"]["shipments_12m"], 1,
        "the 300-day-old shipment left the window"
    );
    assert_eq!(c["stats"]["spend_12m"]["amount"], "10.00");
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_created_file_is_what_a_read_answers_and_its_etag_holds() {
    let app = spawn().await;
    let admin = app.token(Role::Admin);
    let consents = json!({"marketing": true});
    let created = app
        .post(
            &admin,
            "/api/v1/customers",
            &json!({"kind": "business", "name": "Tag Co", "consents": consents}),
        )
        .await;
    let etag = created.headers()["etag"].to_str().expect("etag").to_owned();
    let body = expect_json(created, 201).await;
    let path = format!("/api/v1/customers/{}", body["id"].as_str().expect("id"));
    let read = expect_json(app.get(&admin, &path).await, 200).await;
    assert_eq!(
        read["created_at"], body["created_at"],
        "to the microsecond stored"
    );
    assert_eq!(read["consents"], body["consents"]);
    assert_eq!(app.revalidate(&admin, &path, &etag).await.status(), 304);
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_need_a_fresh_if_match_and_are_validated_whole() {
    let app = spawn().await;
    let admin = app.token(Role::Admin);
    let id = id_of(&create(&app, &acme()).await);
    let path = format!("/api/v1/customers/{id}");
    let get = app.get(&admin, &path).await;
    let etag = get.headers()["etag"].to_str().expect("etag").to_owned();
    let unchanged = app.revalidate(&admin, &path, &etag).await;
    assert_eq!(unchanged.status(), 304);

    let patch = json!({"name": "Acme Global", "tags": ["vip"], "preferences": {"delivery_window": "09:00-12:00", "time_sensitive": true}});
    let resp = app
        .request(reqwest::Method::PATCH, &path, &admin)
        .header("if-match", &etag)
        .json(&patch)
        .send()
        .await
        .expect("sent");
    let edited = expect_json(resp, 200).await;
    assert_eq!(edited["name"], "Acme Global");
    assert_eq!(edited["version"], 2);
    assert_eq!(edited["preferences"]["delivery_window"], "09:00-12:00");
    assert_eq!(
        edited["phones"],
        json!(["13812345678"]),
        "fields not named are kept"
    );

    let stale = app
        .request(reqwest::Method::PATCH, &path, &admin)
        .header("if-match", &etag)
        .json(&json!({"name": "X"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(stale.status(), 412);
    let refused = app
        .patch(&admin, &path, &json!({"birthday": "1980-02-03"}))
        .await;
    let problem = expect_json(refused, 422).await;
    assert_eq!(
        problem["errors"][0]["field"], "birthday",
        "no profile_extras consent"
    );
    let unknown = app
        .patch(&admin, &path, &json!({"size": "gigantic", "kind": "robot"}))
        .await;
    assert_eq!(
        expect_json(unknown, 422).await["errors"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customer_events_carry_the_phones_blind_indexes_never_the_phones() {
    let app = spawn().await;
    let admin = app.token(Role::Admin);
    let tap = app.env.tap().await;
    let id = id_of(&create(&app, &acme()).await);
    let created = tap
        .next_of_type("customer.created", StdDuration::from_secs(10))
        .await;

    let path = format!("/api/v1/customers/{id}");
    let patch = json!({"phones": ["13900001111", "+86 138 1234 5678"]});
    expect_json(app.patch(&admin, &path, &patch).await, 200).await;
    let updated = tap
        .next_of_type("customer.updated", StdDuration::from_secs(10))
        .await;

    let (old, new) = (
        phone_hash(&app, "13812345678"),
        phone_hash(&app, "13900001111"),
    );
    assert_eq!(created.data["phone_hashes"], json!([old]));
    let mut both = vec![old, new];
    both.sort();
    assert_eq!(updated.data["phone_hashes"], json!(both));
    for event in [&created, &updated] {
        let text = event.data.to_string();
        assert!(
            !text.contains("13812345678") && !text.contains("13900001111"),
            "no phone in {text}"
        );
    }
    app.app.stop().await;
}
