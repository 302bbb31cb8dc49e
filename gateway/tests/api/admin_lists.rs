//! The filters of the admin lists (users by `role`, clients by `role` and `merchant_id`, API
//! keys by `merchant_id`, the audit log by `target`): each keeps only what it names, pages
//! through just that, and a filter that cannot be is a `422` naming it.

use actix_web::web;
use kuaidi_shared::testing::{body_json, expect_json, refused_fields, strings, stub_server};
use serde_json::{json, Value};

use crate::helpers::{TestGateway, MERCHANT};

const OTHER_MERCHANT: &str = "0193a0c4-8a6e-7c1a-9a51-5f0c2b1d7e02";

/// Creates with `POST path` by `admin`: the created resource's id.
async fn create(gw: &TestGateway, admin: &str, path: &str, body: Value) -> String {
    let created = expect_json(gw.post(admin, path, &body).await, 201).await;
    created["id"].as_str().expect("id").to_owned()
}

/// Every id `GET path` lists, page after page of `limit` (each page holds at most `limit`).
async fn listed(gw: &TestGateway, admin: &str, path: &str, limit: usize) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor = String::new();
    loop {
        let url = format!("{path}&limit={limit}{cursor}");
        let page = expect_json(gw.get(admin, &url).await, 200).await;
        let data = strings(&page["data"], "id");
        assert!(data.len() <= limit, "{url}: {page}");
        ids.extend(data.into_iter().map(str::to_owned));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return ids,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_are_listed_by_role_page_by_page() {
    let gw = TestGateway::spawn().await;
    let admin = gw.admin_token().await;
    let mut agents = Vec::new();
    for name in ["agent.one", "agent.two", "agent.three"] {
        let body = json!({"username": name, "password": "Courier-2026-spring", "role": "agent"});
        agents.push(create(&gw, &admin, "/api/v1/users", body).await);
    }
    let body =
        json!({"username": "boss.one", "password": "Courier-2026-spring", "role": "manager"});
    let manager = create(&gw, &admin, "/api/v1/users", body).await;

    agents.reverse(); // newest first
    let found = listed(&gw, &admin, "/api/v1/users?role=agent", 2).await;
    assert_eq!(found, agents, "the agents alone, across pages");
    let found = listed(&gw, &admin, "/api/v1/users?role=manager", 50).await;
    assert_eq!(found, [manager]);
    let everyone = listed(&gw, &admin, "/api/v1/users?", 50).await;
    assert_eq!(everyone.len(), 5, "no filter: every user, the admin too");

    for role in ["merchant", "nobody"] {
        let refused = gw.get(&admin, &format!("/api/v1/users?role={role}")).await;
        assert_eq!(refused_fields(refused).await, ["role"], "role={role}");
    }
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_are_listed_by_role_and_merchant_and_api_keys_by_merchant() {
    let gw = TestGateway::spawn().await;
    let admin = gw.admin_token().await;
    let merchant = |m: &str| json!({"name": "Shop", "role": "merchant", "merchant_id": m});
    let ours = create(&gw, &admin, "/api/v1/clients", merchant(MERCHANT)).await;
    let theirs = create(&gw, &admin, "/api/v1/clients", merchant(OTHER_MERCHANT)).await;
    let scanner = json!({"name": "Scanner", "role": "operator"});
    let operator = create(&gw, &admin, "/api/v1/clients", scanner).await;

    let by_role = listed(&gw, &admin, "/api/v1/clients?role=merchant", 1).await;
    assert_eq!(by_role, [theirs.clone(), ours.clone()]);
    let path = format!("/api/v1/clients?merchant_id={MERCHANT}");
    assert_eq!(listed(&gw, &admin, &path, 50).await, [ours]);
    let path = format!("/api/v1/clients?role=operator&merchant_id={OTHER_MERCHANT}");
    assert_eq!(listed(&gw, &admin, &path, 50).await, Vec::<String>::new());
    let path = "/api/v1/clients?role=operator";
    assert_eq!(listed(&gw, &admin, path, 50).await, [operator]);

    let key = |m: &str| json!({"name": "Shop key", "merchant_id": m});
    let mut keys = Vec::new();
    for _ in 0..3 {
        keys.push(create(&gw, &admin, "/api/v1/api-keys", key(MERCHANT)).await);
    }
    create(&gw, &admin, "/api/v1/api-keys", key(OTHER_MERCHANT)).await;
    keys.reverse();
    let path = format!("/api/v1/api-keys?merchant_id={MERCHANT}");
    assert_eq!(
        listed(&gw, &admin, &path, 2).await,
        keys,
        "one merchant's keys"
    );

    for (path, field) in [
        ("/api/v1/clients?role=admin", "role"),
        ("/api/v1/clients?merchant_id=shop-a", "merchant_id"),
        ("/api/v1/api-keys?merchant_id=shop-a", "merchant_id"),
    ] {
        assert_eq!(
            refused_fields(gw.get(&admin, path).await).await,
            [field],
            "{path}"
        );
    }
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_log_is_listed_by_target_also_inside_the_lists_of_pii_reads() {
    // The customers service showing two customers unmasked: the gateway audits one `pii.read`
    // whose target lists both.
    let (port, stub) = stub_server(web::Data::new(()), || async {
        actix_web::HttpResponse::Ok()
            .insert_header(("kuaidi-audit-pii", "customer:c-1,c-22,c-3"))
            .json(json!({"data": [], "next_cursor": null}))
    });
    let env = kuaidi_shared::testing::TestEnv::new();
    let gw = TestGateway::spawn_with(env, |s| {
        s.services.customers = format!("http://127.0.0.1:{port}");
    })
    .await;
    let admin = gw.admin_token().await;
    assert_eq!(gw.get(&admin, "/api/v1/customers").await.status(), 200);
    let body = json!({"username": "agent.one", "password": "Courier-2026-spring", "role": "agent"});
    let user = create(&gw, &admin, "/api/v1/users", body).await;
    let path = format!("/api/v1/users/{user}");
    let patched = gw
        .patch(&admin, &path, &json!({"display_name": "Li"}))
        .await;
    assert_eq!(patched.status(), 200);

    let actions = |page: Value| -> Vec<String> {
        let entries = page["data"].as_array().cloned().unwrap_or_default();
        let action = |e: &Value| format!("{} {}", e["action"], e["target"]).replace('"', "");
        entries.iter().map(action).collect()
    };
    let by_target = |target: String| {
        let gw = &gw;
        let admin = &admin;
        async move {
            let page = gw
                .get(admin, &format!("/api/v1/audit-log?target={target}"))
                .await;
            actions(body_json(page).await)
        }
    };
    let about_user = [format!("user.update {user}"), format!("user.create {user}")];
    assert_eq!(by_target(user.clone()).await, about_user);
    let read = ["pii.read customer:c-1,c-22,c-3"];
    for listed in [
        "customer:c-1",
        "customer:c-22",
        "customer:c-3",
        "customer:c-1,c-22,c-3",
    ] {
        assert_eq!(by_target(listed.to_owned()).await, read, "{listed}");
    }
    for unlisted in [
        "customer:c-2",
        "shipment:c-1",
        "c-1",
        "customer:",
        "customer:c-1,c-3",
    ] {
        assert_eq!(
            by_target(unlisted.to_owned()).await,
            Vec::<String>::new(),
            "{unlisted}"
        );
    }
    stub.stop(false).await;
    gw.stop().await;
}
