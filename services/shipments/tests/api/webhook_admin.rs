//! SPEC §3, webhooks: an admin sees and manages every subscription — it lists them all, each
//! naming its `owner`, filters them by owner, and reads, edits, tests, replays, redelivers and
//! deletes a merchant's — while merchants and apps still see only their own (another's is a 404).

use kuaidi_shared::auth::Role;
use kuaidi_shared::testing::{body_json, expect_json, expect_problem, strings, TestApp};
use reqwest::Method;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::webhook_edits::{etag_of, patch, receiver, register, spawn};

/// The ids of the subscriptions `token` lists at `path` (`/api/v1/webhooks?...`).
async fn listed(t: &TestApp, token: &str, path: &str) -> Vec<String> {
    let list = expect_json(t.get(token, path).await, 200).await;
    strings(&list["data"], "id")
        .into_iter()
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_lists_every_subscription_with_its_owner_and_filters_by_owner() {
    let (t, _) = spawn(3_600_000).await;
    let (_, url) = receiver();
    let merchant = Uuid::now_v7();
    let (admin, app) = (t.token(Role::Admin), t.token(Role::App));
    let (_, _, of_merchant) = register(&t, &t.merchant(merchant), &url).await;
    let (_, _, of_app) = register(&t, &app, &url).await;
    let (_, _, own) = register(&t, &admin, &url).await;

    let list = expect_json(t.get(&admin, "/api/v1/webhooks").await, 200).await;

    let ids = strings(&list["data"], "id");
    assert_eq!(
        ids,
        [&of_merchant["id"], &of_app["id"], &own["id"]].map(|v| v.as_str().expect("id")),
        "every subscription, oldest first: {list}"
    );
    assert_eq!(
        list["data"][0]["owner"],
        json!({"kind": "merchant", "id": merchant.to_string()})
    );
    assert_eq!(list["data"][1]["owner"]["kind"], "subject");
    assert_eq!(list["data"][2]["owner"], own["owner"], "as created");
    let app_sub = of_app["owner"]["id"].as_str().expect("the app's subject");
    let another_admin = t.token(Role::Admin);
    for (path, only) in [
        (
            format!("/api/v1/webhooks?merchant_id={merchant}"),
            &of_merchant,
        ),
        (format!("/api/v1/webhooks?owner_sub={app_sub}"), &of_app),
    ] {
        let got = listed(&t, &another_admin, &path).await;
        assert_eq!(got, [only["id"].as_str().expect("id")], "{path}");
    }
    let first = expect_json(t.get(&admin, "/api/v1/webhooks?limit=2").await, 200).await;
    let cursor = first["next_cursor"].as_str().expect("a second page");
    let rest = listed(
        &t,
        &admin,
        &format!("/api/v1/webhooks?limit=2&cursor={cursor}"),
    )
    .await;
    assert_eq!(rest, [own["id"].as_str().expect("id")], "paged by cursor");
    let bad = t.get(&admin, "/api/v1/webhooks?merchant_id=nope").await;
    expect_problem(bad, 422).await;
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_reads_edits_and_deletes_a_merchants_subscription_and_its_deliveries() {
    let (t, _) = spawn(3_600_000).await;
    let (_, url) = receiver();
    let owner = t.merchant(Uuid::now_v7());
    let admin = t.token(Role::Admin);
    let (location, etag, _) = register(&t, &owner, &url).await;

    let read = t.get(&admin, &location).await;
    assert_eq!(etag_of(&read), etag, "the owner's ETag");
    let seen = expect_json(read, 200).await;
    assert_eq!(seen, expect_json(t.get(&owner, &location).await, 200).await);
    let moved = format!("{url}/by-admin");
    let edit = patch(&t, &admin, &location, json!({"url": moved}), Some(&etag)).await;
    assert_eq!(expect_json(edit, 200).await["version"], 2);
    let now = expect_json(t.get(&owner, &location).await, 200).await;
    assert_eq!(now["url"], moved, "the owner sees the admin's edit");
    let test = t
        .post(&admin, &format!("{location}:test"), &json!({}))
        .await;
    let delivery = expect_json(test, 202).await;
    for token in [&admin, &owner] {
        let page = body_json(t.get(token, &format!("{location}/deliveries")).await).await;
        assert_eq!(page["data"][0]["id"], delivery["id"], "{page}");
    }
    let again = format!(
        "{location}/deliveries/{}:redeliver",
        delivery["id"].as_str().expect("id")
    );
    expect_json(t.post(&admin, &again, &json!({})).await, 202).await;
    let since = json!({"since": "2020-01-01T00:00:00Z"});
    expect_json(
        t.post(&admin, &format!("{location}:replay"), &since).await,
        202,
    )
    .await;

    assert_eq!(t.delete(&admin, &location).await.status(), 204);
    expect_problem(t.get(&owner, &location).await, 404).await;
    assert!(listed(&t, &owner, "/api/v1/webhooks").await.is_empty());
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merchants_and_apps_still_see_and_manage_only_their_own() {
    let (t, _) = spawn(3_600_000).await;
    let (_, url) = receiver();
    let first = Uuid::now_v7();
    let (owner, second) = (t.merchant(first), t.merchant(Uuid::now_v7()));
    let (admin, app) = (t.token(Role::Admin), t.token(Role::App));
    let (location, etag, mine) = register(&t, &owner, &url).await;
    let (_, _, admins) = register(&t, &admin, &url).await;
    let (_, _, theirs) = register(&t, &second, &url).await;
    let (_, _, apps) = register(&t, &app, &url).await;
    let test = t
        .post(&owner, &format!("{location}:test"), &json!({}))
        .await;
    let delivery = expect_json(test, 202).await["id"].clone();

    let id = |v: &Value| v["id"].as_str().expect("id").to_owned();
    assert_eq!(listed(&t, &owner, "/api/v1/webhooks").await, [id(&mine)]);
    assert_eq!(listed(&t, &second, "/api/v1/webhooks").await, [id(&theirs)]);
    assert_eq!(listed(&t, &app, "/api/v1/webhooks").await, [id(&apps)]);
    let others = format!("/api/v1/webhooks?merchant_id={first}");
    assert!(
        listed(&t, &second, &others).await.is_empty(),
        "a filter widens nothing"
    );
    let admin_sub = admins["owner"]["id"].as_str().expect("the admin's subject");
    let admin_only = format!("/api/v1/webhooks?owner_sub={admin_sub}");
    assert!(listed(&t, &app, &admin_only).await.is_empty());
    assert_eq!(
        mine["owner"],
        json!({"kind": "merchant", "id": first.to_string()})
    );
    let redeliver = format!(
        "{location}/deliveries/{}:redeliver",
        delivery.as_str().expect("id")
    );
    for token in [&second, &app] {
        for (method, path) in [
            (Method::GET, location.clone()),
            (Method::DELETE, location.clone()),
            (Method::GET, format!("{location}/deliveries")),
            (Method::POST, format!("{location}:test")),
            (Method::POST, format!("{location}:replay")),
            (Method::POST, redeliver.clone()),
        ] {
            let body = json!({"since": "2020-01-01T00:00:00Z"});
            let resp = t
                .request(method.clone(), &path, token)
                .json(&body)
                .send()
                .await;
            expect_problem(resp.expect("sent"), 404).await;
        }
        let edit = json!({"url": "http://127.0.0.1:9/elsewhere"});
        expect_problem(patch(&t, token, &location, edit, Some(&etag)).await, 404).await;
    }
    let kept = expect_json(t.get(&owner, &location).await, 200).await;
    assert_eq!(
        (kept["url"].clone(), kept["version"].clone()),
        (json!(url), json!(1))
    );
    t.app.stop().await;
}
