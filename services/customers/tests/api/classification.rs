//! Classification: Pareto tiers over a known population, stages and the churn warning.

use chrono::{Duration, Utc};
use kuaidi_shared::auth::Role;
use kuaidi_shared::testing::{eventually, expect_json, poll_json, TestApp};
use serde_json::{json, Value};
use std::time::Duration as StdDuration;
use uuid::Uuid;

use crate::helpers::{at, create, emit, id_of, shipment, spawn, spawn_at};

async fn count(app: &TestApp, query: &str) -> usize {
    let page = expect_json(
        app.get(
            &app.token(Role::Admin),
            &format!("/api/v1/customers?limit=200&{query}"),
        )
        .await,
        200,
    )
    .await;
    page["data"].as_array().map(Vec::len).unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_population_of_100_with_known_spends_gets_exact_pareto_tiers() {
    let app = spawn().await;
    let admin = app.token(Role::Admin);
    let now = Utc::now() - Duration::days(1);
    // 5 × 16 000 + 15 × 1 000 + 80 × 62.50 = 100 000: key makes 80 %, ordinary the next 15 %.
    let spends = std::iter::repeat_n("16000.00", 5)
        .chain(std::iter::repeat_n("1000.00", 15))
        .chain(std::iter::repeat_n("62.50", 80));
    let mut ids = Vec::new();
    for (i, spend) in spends.enumerate() {
        let id = id_of(
            &create(
                &app,
                &json!({"kind": "business", "name": format!("Firm {i}")}),
            )
            .await,
        );
        emit(&app, "shipments", id, &shipment(id, spend, now), now).await;
        ids.push(id);
    }
    let url = format!("/api/v1/customers/{}", ids[99]);
    poll_json(
        StdDuration::from_secs(30),
        "every shipment counted",
        || app.get(&admin, &url),
        |c| (c["stats"]["shipments_12m"] == 1).then_some(()),
    )
    .await;
    poll_json(
        StdDuration::from_secs(30),
        "all shipments in",
        || app.get(&admin, "/api/v1/customers?limit=200"),
        |page| {
            page["data"]
                .as_array()?
                .iter()
                .all(|c| c["stats"]["shipments_12m"] == 1)
                .then_some(())
        },
    )
    .await;

    assert_eq!(
        app.post(
            &app.token(Role::Manager),
            "/api/v1/customers/classification:run",
            &json!({})
        )
        .await
        .status(),
        403
    );
    let run = expect_json(
        app.post(&admin, "/api/v1/customers/classification:run", &json!({}))
            .await,
        200,
    )
    .await;
    assert_eq!(run["status"], "done");
    assert_eq!(count(&app, "value_tier=key").await, 5);
    assert_eq!(count(&app, "value_tier=ordinary").await, 15);
    assert_eq!(count(&app, "value_tier=small").await, 80);
    let top = expect_json(
        app.get(&admin, &format!("/api/v1/customers/{}", ids[0]))
            .await,
        200,
    )
    .await;
    assert_eq!(top["rfm"]["m"], 5);
    assert_eq!(
        top["entitlements"]["dedicated_representative"], true,
        "key accounts' entitlements"
    );
    assert_eq!(top["lifecycle_stage"], "new");
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slipping_customers_get_the_churn_warning_a_retention_task_and_events() {
    let now = at("2026-09-01T12:00:00Z");
    let app = spawn_at(now).await;
    let admin = app.token(Role::Admin);
    let owner = Uuid::now_v7();
    let slipping = id_of(
        &create(
            &app,
            &json!({"kind": "business", "name": "Slipping", "owner_id": owner}),
        )
        .await,
    );
    let loyal = id_of(&create(&app, &json!({"kind": "business", "name": "Loyal"})).await);
    let prospect = id_of(&create(&app, &json!({"kind": "individual", "name": "Prospect"})).await);
    let tap = app.env.tap().await;
    for d in 0..9 {
        emit(
            &app,
            "shipments",
            slipping,
            &shipment(slipping, "50.00", now - Duration::days(45 + d * 4)),
            now,
        )
        .await;
    }
    for d in 0..12 {
        emit(
            &app,
            "shipments",
            loyal,
            &shipment(
                loyal,
                "20.00",
                now - Duration::days(200 + d) + Duration::days(190),
            ),
            now,
        )
        .await;
    }

    let stage = |id: Uuid, want: &'static str| {
        let (app, admin) = (&app, &admin);
        async move {
            eventually(StdDuration::from_secs(15), want, || async {
                let c: Value = app
                    .get(admin, &format!("/api/v1/customers/{id}"))
                    .await
                    .json()
                    .await
                    .ok()?;
                (c["lifecycle_stage"] == want).then_some(c)
            })
            .await
        }
    };
    let c = stage(slipping, "at_risk").await;
    let retention: Vec<&Value> = c["follow_ups"]
        .as_array()
        .expect("follow-ups")
        .iter()
        .filter(|t| t["rule"] == "churn_retention")
        .collect();
    assert_eq!(retention.len(), 1, "a retention task: {}", c["follow_ups"]);
    assert_eq!(retention[0]["assignee_id"], owner.to_string());
    let warning = tap
        .next_of_type("customer.churn_risk_detected", StdDuration::from_secs(10))
        .await;
    assert_eq!(warning.data["customer_id"], slipping.to_string());
    assert_eq!(warning.data["last_30d"], 0);
    stage(loyal, "loyal").await;
    stage(prospect, "prospect").await;

    app.clock.advance(Duration::days(100));
    let churned = stage(slipping, "churned").await;
    let retention = churned["follow_ups"]
        .as_array()
        .expect("follow-ups")
        .iter()
        .filter(|t| t["rule"] == "churn_retention")
        .count();
    assert_eq!(retention, 1, "one retention task per warning");
    stage(loyal, "churned").await;
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_admins_run_the_classification_on_demand() {
    let app = spawn().await;
    for role in [Role::Agent, Role::Analyst, Role::Supervisor] {
        let resp = app
            .post(
                &app.token(role),
                "/api/v1/customers/classification:run",
                &json!({}),
            )
            .await;
        assert_eq!(resp.status(), 403, "{role:?}");
    }
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_with_equal_figures_get_equal_rfm_scores() {
    let app = spawn().await;
    let admin = app.token(Role::Admin);
    let now = Utc::now() - Duration::days(1);
    // Ten customers, all shipping on the same day: four send 1 parcel of 100.00, four 2 of
    // 100.00, two 5 of 200.00. Ranked lowest first, each group's middle position is 2, 6
    // and 9 of 10: quintiles 1, 3 and 5. Everyone shipped on the same day (days since the
    // last shipment alike): the middle of all ten, quintile 3.
    let groups = [(4, 1, "100.00"), (4, 2, "100.00"), (2, 5, "200.00")];
    let mut ids = Vec::new();
    for (g, (customers, parcels, freight)) in groups.into_iter().enumerate() {
        for i in 0..customers {
            let name = format!("Group {g} firm {i}");
            let id = id_of(&create(&app, &json!({"kind": "business", "name": name})).await);
            for p in 0..parcels {
                let at = now + Duration::minutes(i64::from(p) * 7 + i);
                emit(&app, "shipments", id, &shipment(id, freight, at), at).await;
            }
            ids.push((g, id, parcels));
        }
    }
    for (_, id, parcels) in &ids {
        let url = format!("/api/v1/customers/{id}");
        poll_json(
            StdDuration::from_secs(30),
            "every shipment counted",
            || app.get(&admin, &url),
            |c| (c["stats"]["shipments_12m"] == *parcels).then_some(()),
        )
        .await;
    }
    let run = app
        .post(&admin, "/api/v1/customers/classification:run", &json!({}))
        .await;
    expect_json(run, 200).await;

    let expected = [
        json!([3, 1, 1, 5]),
        json!([3, 3, 3, 9]),
        json!([3, 5, 5, 13]),
    ];
    for (g, id, _) in ids {
        let c = expect_json(
            app.get(&admin, &format!("/api/v1/customers/{id}")).await,
            200,
        )
        .await;
        let rfm = &c["rfm"];
        let scores = json!([rfm["r"], rfm["f"], rfm["m"], rfm["score"]]);
        assert_eq!(scores, expected[g], "group {g}: {rfm}");
    }
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_tier_set_by_hand_is_kept_by_the_runs_until_given_back_to_the_rules() {
    let app = spawn().await;
    let (admin, supervisor) = (app.token(Role::Admin), app.token(Role::Supervisor));
    let agent = app.token(Role::Agent);
    let key = json!({"kind": "business", "name": "Key by hand", "value_tier": "key"});
    let refused = app.post(&agent, "/api/v1/customers", &key).await;
    assert_eq!(refused.status(), 403, "an agent sets no tier");
    let bad = json!({"kind": "business", "name": "Bad tier", "value_tier": "gold"});
    let bad = expect_json(app.post(&admin, "/api/v1/customers", &bad).await, 422).await;
    assert_eq!(bad["errors"][0]["field"], "value_tier", "{bad}");
    let created = expect_json(app.post(&admin, "/api/v1/customers", &key).await, 201).await;
    assert_eq!(created["value_tier"], "key");
    assert_eq!(created["value_tier_source"], "manual");
    let id = id_of(&created);
    let path = format!("/api/v1/customers/{id}");
    let nothing = json!({});
    let run = || app.post(&admin, "/api/v1/customers/classification:run", &nothing);

    // No spend: the rules would make it small, but a tier set by hand stays.
    expect_json(run().await, 200).await;
    assert_eq!(
        expect_json(app.get(&admin, &path).await, 200).await["value_tier"],
        "key"
    );

    // A supervisor moves it by hand: announced; an agent may not.
    let tap = app.env.tap().await;
    let ordinary = json!({"value_tier": "ordinary"});
    assert_eq!(app.patch(&agent, &path, &ordinary).await.status(), 403);
    let edited = expect_json(app.patch(&supervisor, &path, &ordinary).await, 200).await;
    assert_eq!(edited["value_tier"], "ordinary");
    let event = tap
        .next_of_type("customer.tier_changed", StdDuration::from_secs(10))
        .await;
    assert_eq!(event.data["customer_id"], id.to_string());
    assert_eq!(
        (&event.data["from"], &event.data["to"]),
        (&json!("key"), &json!("ordinary"))
    );

    // An edit of something else keeps it; given back to the rules, the next run decides.
    let renamed = app.patch(&admin, &path, &json!({"name": "Renamed"})).await;
    assert_eq!(
        expect_json(renamed, 200).await["value_tier_source"],
        "manual"
    );
    let back = json!({"value_tier_source": "rules"});
    let back = expect_json(app.patch(&admin, &path, &back).await, 200).await;
    assert_eq!(
        (&back["value_tier"], &back["value_tier_source"]),
        (&json!("ordinary"), &json!("rules"))
    );
    expect_json(run().await, 200).await;
    let after = expect_json(app.get(&admin, &path).await, 200).await;
    assert_eq!(
        (&after["value_tier"], &after["value_tier_source"]),
        (&json!("small"), &json!("rules"))
    );
    app.app.stop().await;
}
