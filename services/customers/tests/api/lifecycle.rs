//! Consents, the end customer's own file, ownership and handover, merge and undo, erasure.

use kuaidi_shared::auth::Role;
use kuaidi_shared::testing::expect_json;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{acme, create, id_of, phone_hash, read, spawn, TestApp};

/// `POST /customers/handover` of `from`'s whole portfolio to `to`, with `token`.
async fn handover(app: &TestApp, token: &str, from: Uuid, to: Uuid) -> reqwest::Response {
    let body = json!({"from_owner_id": from, "to_owner_id": to});
    app.post(token, "/api/v1/customers/handover", &body).await
}

/// `POST /customers/{survivor}/merge` of `body` as an admin.
async fn merge_request(app: &TestApp, survivor: Uuid, body: &Value) -> reqwest::Response {
    let path = format!("/api/v1/customers/{survivor}/merge");
    app.post(&app.token(Role::Admin), &path, body).await
}

/// `POST /customers/merges/{merge_id}:undo` as an admin.
async fn undo_merge(app: &TestApp, merge_id: &str) -> reqwest::Response {
    let path = format!("/api/v1/customers/merges/{merge_id}:undo");
    app.post(&app.token(Role::Admin), &path, &json!({})).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_extras_need_consent_and_withdrawing_it_erases_them() {
    let app = spawn().await;
    let admin = app.token(Role::Admin);
    let id = id_of(&create(&app, &json!({"kind": "individual", "name": "韩梅梅"})).await);
    let path = format!("/api/v1/customers/{id}");
    let extras = json!({"birthday": "1990-03-14", "family": {"children": 2}});
    assert_eq!(app.patch(&admin, &path, &extras).await.status(), 422);

    let consents = app
        .put(
            &admin,
            &format!("{path}/consents"),
            &json!({"consents": {
        "profile_extras": {"granted": true, "source": "paper"},
        "care_messages": {"granted": true, "source": "app"}}}),
        )
        .await;
    let consents = expect_json(consents, 200).await;
    assert_eq!(consents["consents"]["profile_extras"]["source"], "paper");
    let edited = expect_json(app.patch(&admin, &path, &extras).await, 200).await;
    assert_eq!(edited["birthday"], "1990-03-14");
    assert_eq!(edited["family"], json!({"children": 2}));

    let withdrawn = app
        .put(
            &admin,
            &format!("{path}/consents"),
            &json!({"consents": {
        "profile_extras": {"granted": false, "source": "phone"}}}),
        )
        .await;
    let withdrawn = expect_json(withdrawn, 200).await;
    assert_eq!(
        withdrawn["history"].as_array().map(Vec::len),
        Some(3),
        "history kept"
    );
    let after = expect_json(app.get(&admin, &path).await, 200).await;
    assert_eq!(after["birthday"], Value::Null);
    assert_eq!(after["family"], Value::Null);
    assert_eq!(after["consents"]["care_messages"]["granted"], true);

    let bad = app
        .put(
            &admin,
            &format!("{path}/consents"),
            &json!({"consents": {"telepathy": {"granted": true}}}),
        )
        .await;
    assert_eq!(
        expect_json(bad, 422).await["errors"][0]["field"],
        "consents.telepathy"
    );
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_end_customer_sees_their_own_file_and_changes_only_consents_and_preferences() {
    let app = spawn().await;
    let me = app.env.customer_token(&phone_hash(&app, "13812345678"));
    assert_eq!(
        app.get(&me, "/api/v1/customers/me").await.status(),
        404,
        "no file yet"
    );
    let id = id_of(&create(&app, &acme()).await);
    let other = id_of(
        &create(
            &app,
            &json!({"kind": "individual", "name": "别人", "phones": ["13900009999"]}),
        )
        .await,
    );

    let mine = expect_json(app.get(&me, "/api/v1/customers/me").await, 200).await;
    assert_eq!(mine["id"], id.to_string());
    assert_eq!(mine["phones"], json!(["13812345678"]));
    assert_eq!(
        app.get(&me, &format!("/api/v1/customers/{other}"))
            .await
            .status(),
        404
    );

    let path = format!("/api/v1/customers/{id}");
    let prefs = app
        .patch(
            &me,
            &path,
            &json!({"preferences": {"contact_channel": "app"}}),
        )
        .await;
    assert_eq!(
        expect_json(prefs, 200).await["preferences"]["contact_channel"],
        "app"
    );
    assert_eq!(
        app.patch(&me, &path, &json!({"name": "Mine now"}))
            .await
            .status(),
        403
    );
    let consent = app
        .put(
            &me,
            &format!("{path}/consents"),
            &json!({"consents": {"marketing": {"granted": false, "source": "app"}}}),
        )
        .await;
    assert_eq!(consent.status(), 200);
    assert_eq!(
        app.put(
            &me,
            &format!("/api/v1/customers/{other}/consents"),
            &json!({"consents": {}})
        )
        .await
        .status(),
        404
    );
    assert_eq!(app.delete(&me, &path).await.status(), 403);
    assert_eq!(
        app.get(&app.token(Role::Admin), "/api/v1/customers/me")
            .await
            .status(),
        403
    );
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handover_moves_a_whole_portfolio_with_its_open_follow_ups() {
    let app = spawn().await;
    let admin = app.token(Role::Admin);
    let (alice, bob) = (Uuid::now_v7(), Uuid::now_v7());
    let mut ids = Vec::new();
    for i in 0..3 {
        let c = create(
            &app,
            &json!({"kind": "individual", "name": format!("C{i}"), "owner_id": alice}),
        )
        .await;
        ids.push(id_of(&c));
    }
    let task = app
        .post(
            &admin,
            &format!("/api/v1/customers/{}/follow-ups", ids[0]),
            &json!({"due_at": "2030-01-01T00:00:00Z", "reason": "renewal"}),
        )
        .await;
    assert_eq!(
        expect_json(task, 201).await["assignee_id"],
        alice.to_string(),
        "the owner by default"
    );
    let tap = app.env.tap().await;

    let result = expect_json(handover(&app, &admin, alice, bob).await, 200).await;
    assert_eq!(result["customers_moved"], 3);
    assert_eq!(result["follow_ups_moved"], 1);
    let bobs = expect_json(
        app.get(&admin, &format!("/api/v1/customers?owner_id={bob}"))
            .await,
        200,
    )
    .await;
    assert_eq!(bobs["data"].as_array().map(Vec::len), Some(3));
    let tasks = expect_json(
        app.get(
            &admin,
            &format!("/api/v1/follow-ups?assignee={bob}&status=open"),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(tasks["data"].as_array().map(Vec::len), Some(1));
    let event = tap
        .next_of_type("customer.owner_changed", std::time::Duration::from_secs(10))
        .await;
    assert_eq!(event.data["to_owner_id"], bob.to_string());
    assert_eq!(event.data["handover_id"], result["handover_id"]);

    let single = app
        .put(
            &admin,
            &format!("/api/v1/customers/{}/owner", ids[1]),
            &json!({"owner_id": alice}),
        )
        .await;
    assert_eq!(
        expect_json(single, 200).await["owner_id"],
        alice.to_string()
    );
    let by_agent = handover(&app, &app.token(Role::Agent), alice, bob).await;
    assert_eq!(by_agent.status(), 403, "an agent hands over no portfolio");
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merge_unites_the_records_and_an_undo_restores_both_exactly() {
    let app = spawn().await;
    let admin = app.token(Role::Admin);
    let survivor = create(&app, &acme()).await;
    let dup = create(&app, &json!({"kind": "business", "name": "ACME Trading Ltd", "phones": ["13812345678", "13800000002"], "industry": "retail", "size": "large", "tags": ["import"]})).await;
    let (s, d) = (id_of(&survivor), id_of(&dup));
    app.post(
        &admin,
        &format!("/api/v1/customers/{d}/interactions"),
        &json!({"channel": "phone", "direction": "in", "kind": "inquiry", "summary": "rates?"}),
    )
    .await;
    let before = (read(&app, s).await, read(&app, d).await);
    let pairs = expect_json(app.get(&admin, "/api/v1/customers/duplicates").await, 200).await;
    assert!(pairs["data"][0]["matched_on"]
        .as_array()
        .is_some_and(|m| m.contains(&json!("phone"))));

    let body = json!({"duplicate_id": d, "prefer": {"name": "duplicate"}});
    let dry = expect_json(
        app.post(
            &admin,
            &format!("/api/v1/customers/{s}/merge?dry_run=true"),
            &body,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(dry["customer"]["name"], "ACME Trading Ltd");
    assert_eq!(dry["merge_id"], Value::Null);
    assert_eq!(
        read(&app, s).await["name"],
        "Acme Trading",
        "a dry run writes nothing"
    );

    let merged = expect_json(merge_request(&app, s, &body).await, 200).await;
    let c = &merged["customer"];
    assert_eq!(c["name"], "ACME Trading Ltd");
    assert_eq!(c["industry"], "ecommerce", "survivor's by default");
    assert_eq!(c["size"], "medium");
    assert_eq!(
        c["phones"],
        json!(["13812345678", "13800000002"]),
        "lists united"
    );
    assert_eq!(c["tags"], json!(["import"]));
    assert_eq!(
        c["interactions"][0]["summary"], "rates?",
        "the duplicate's interactions moved"
    );
    assert_eq!(c["merges"][0]["duplicate_id"], d.to_string());
    let again = merge_request(&app, s, &body).await;
    assert_eq!(again.status(), 409, "already merged");
    let listed = expect_json(app.get(&admin, "/api/v1/customers").await, 200).await;
    assert_eq!(
        listed["data"].as_array().map(Vec::len),
        Some(1),
        "the duplicate is no longer listed"
    );

    let edit_dup = app
        .patch(
            &admin,
            &format!("/api/v1/customers/{d}"),
            &json!({"name": "X"}),
        )
        .await;
    assert_eq!(expect_json(edit_dup, 409).await["code"], "customer_merged");
    // The survivor is edited while merged: its phones (the united ones) get a newer version.
    let edited = app
        .patch(
            &admin,
            &format!("/api/v1/customers/{s}"),
            &json!({"tags": ["vip"]}),
        )
        .await;
    let edited_version = expect_json(edited, 200).await["version"].clone();
    let tap = app.env.tap().await;
    let merge_id = merged["merge_id"].as_str().expect("merge id");
    let undone = expect_json(undo_merge(&app, merge_id).await, 200).await;
    assert_eq!(undone["survivor"]["name"], "Acme Trading");
    let after = (read(&app, s).await, read(&app, d).await);
    for (b, a) in [(&before.0, &after.0), (&before.1, &after.1)] {
        for field in [
            "name",
            "phones",
            "emails",
            "industry",
            "size",
            "company",
            "interactions",
        ] {
            assert_eq!(a[field], b[field], "{field} restored");
        }
    }
    // An undo undoes the merge only: the survivor's tags, edited since, stay as edited.
    assert_eq!(after.0["tags"], json!(["vip"]), "a later edit stays");
    assert_eq!(after.1["tags"], before.1["tags"], "the duplicate's tags");
    // Restored as new versions: no version number names two states, so an ETag from before
    // the merge is stale, and the services ordering phones by version take the restored ones.
    let version = |v: &Value| v["version"].as_i64().expect("a version");
    assert!(version(&after.0) > edited_version.as_i64().expect("a version"));
    assert!(version(&after.1) > version(&before.1));
    let stale = app
        .request(
            reqwest::Method::PATCH,
            &format!("/api/v1/customers/{s}"),
            &admin,
        )
        .header("If-Match", format!("\"{}\"", version(&before.0)))
        .json(&json!({"name": "Stale"}))
        .send()
        .await
        .expect("a response");
    assert_eq!(stale.status(), 412, "an ETag from before the merge");
    let mut seen = Vec::new();
    for _ in 0..2 {
        let e = tap
            .next_of_type("customer.updated", std::time::Duration::from_secs(10))
            .await;
        assert_eq!(e.data["changed"], json!(["merge_undone"]));
        seen.push((
            e.data["customer_id"].clone(),
            e.data["version"].clone(),
            e.data["phone_hashes"].clone(),
        ));
    }
    let survivor_event = seen
        .iter()
        .find(|(id, _, _)| *id == json!(s))
        .expect("the survivor's customer.updated");
    assert_eq!(survivor_event.1, after.0["version"]);
    assert_eq!(
        survivor_event.2.as_array().map(Vec::len),
        Some(1),
        "the survivor's own phone only, not the duplicate's"
    );
    assert!(
        after.0["merges"][0]["undone_at"].is_string(),
        "the merge stays in the history"
    );
    let undone_again = undo_merge(&app, merge_id).await;
    assert_eq!(undone_again.status(), 409, "an undo undoes once");
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merges_with_itself_or_an_erased_customer_are_refused_and_concurrent_ones_have_one_winner()
{
    let app = spawn().await;
    let admin = app.token(Role::Admin);
    let a = id_of(&create(&app, &json!({"kind": "individual", "name": "A"})).await);
    let b = id_of(&create(&app, &json!({"kind": "individual", "name": "B"})).await);
    let gone = id_of(&create(&app, &json!({"kind": "individual", "name": "Gone"})).await);
    let itself = merge_request(&app, a, &json!({"duplicate_id": a})).await;
    assert_eq!(itself.status(), 422, "a file merged into itself");
    let unknown_choice = json!({"duplicate_id": b, "prefer": {"name": "both"}});
    let unknown_choice = merge_request(&app, a, &unknown_choice).await;
    assert_eq!(unknown_choice.status(), 422, "a preference of neither file");
    assert_eq!(
        app.delete(&admin, &format!("/api/v1/customers/{gone}"))
            .await
            .status(),
        204
    );
    let erased = merge_request(&app, a, &json!({"duplicate_id": gone})).await;
    assert_eq!(erased.status(), 409, "an erased file merges into nothing");

    let body = json!({"duplicate_id": b});
    let (one, two) = tokio::join!(merge_request(&app, a, &body), merge_request(&app, a, &body));
    let mut codes = [one.status().as_u16(), two.status().as_u16()];
    codes.sort();
    assert_eq!(codes, [200, 409], "one merge wins, the other is refused");
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erasure_anonymises_pii_keeps_the_file_out_of_search_and_announces_the_hashes() {
    let app = spawn().await;
    let admin = app.token(Role::Admin);
    let id = id_of(&create(&app, &acme()).await);
    let path = format!("/api/v1/customers/{id}");
    app.post(&admin, &format!("{path}/interactions"), &json!({"channel": "phone", "direction": "in", "kind": "inquiry", "summary": "my address is 1 Main St"})).await;
    let me = Uuid::now_v7();
    let task = json!({"due_at": "2030-01-01T00:00:00Z", "reason": "call Mr Li at home", "assignee_id": me});
    expect_json(
        app.post(&admin, &format!("{path}/follow-ups"), &task).await,
        201,
    )
    .await;
    let tap = app.env.tap().await;

    assert_eq!(app.delete(&admin, &path).await.status(), 204);
    let event = tap
        .next_of_type("customer.erased", std::time::Duration::from_secs(10))
        .await;
    assert_eq!(
        event.data["phone_hashes"],
        json!([phone_hash(&app, "13812345678")])
    );
    assert_eq!(event.data["email_hashes"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        expect_json(app.get(&admin, &path).await, 200).await["name"],
        "[erased]",
        "read anonymised"
    );
    assert_eq!(
        app.delete(&admin, &path).await.status(),
        204,
        "a second erasure"
    );
    let search = expect_json(
        app.get(&admin, "/api/v1/customers?q=13812345678").await,
        200,
    )
    .await;
    assert_eq!(search["data"], json!([]));
    let tasks = expect_json(
        app.get(&admin, &format!("/api/v1/follow-ups?assignee={me}"))
            .await,
        200,
    )
    .await;
    let task = &tasks["data"][0];
    assert_eq!(
        task["reason"], "[erased]",
        "free text written by people is erased"
    );
    assert_eq!(
        task["status"], "cancelled",
        "nothing left to do for an erased customer"
    );
    let named = expect_json(app.get(&admin, "/api/v1/customers?q=Acme").await, 200).await;
    assert_eq!(named["data"], json!([]));
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merge_is_announced_and_can_be_undone_for_seven_days_only() {
    let app = crate::helpers::spawn_at(crate::helpers::at("2026-04-01T09:00:00Z")).await;
    let a = id_of(&create(&app, &json!({"kind": "individual", "name": "A"})).await);
    let b = id_of(&create(&app, &json!({"kind": "individual", "name": "B"})).await);
    let tap = app.env.tap().await;
    let merged = merge_request(&app, a, &json!({"duplicate_id": b})).await;
    let merged = expect_json(merged, 200).await;
    assert_eq!(merged["undo_until"], "2026-04-08T09:00:00Z");
    let event = tap
        .next_of_type("customer.merged", std::time::Duration::from_secs(10))
        .await;
    assert_eq!(event.data["survivor_id"], a.to_string());
    assert_eq!(event.data["duplicate_id"], b.to_string());

    app.clock.advance(chrono::Duration::days(8));
    let merge_id = merged["merge_id"].as_str().expect("merge id");
    let late = undo_merge(&app, merge_id).await;
    assert_eq!(expect_json(late, 409).await["code"], "undo_window_passed");
    app.app.stop().await;
}
