//! `GET /customers`: exact identities, ranked accent-insensitive names, filters, pages.

use kuaidi_shared::auth::Role;
use kuaidi_shared::testing::expect_json;
use serde_json::{json, Value};

use crate::helpers::{acme, create, spawn};

fn names(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|c| c["name"].as_str().unwrap_or("").to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exact_phone_email_and_credit_code_find_the_customer_through_the_blind_index() {
    let app = spawn().await;
    let admin = app.token(Role::Admin);
    let acme = create(&app, &acme()).await;
    create(
        &app,
        &json!({"kind": "individual", "name": "李雷", "phones": ["13900001111"]}),
    )
    .await;
    for q in [
        "13812345678",
        "%2B86%20138%201234%205678",
        "ops%40acme.example",
        "91330100ma2xxxxx0a",
    ] {
        let page = expect_json(
            app.get(&admin, &format!("/api/v1/customers?q={q}")).await,
            200,
        )
        .await;
        assert_eq!(page["data"].as_array().map(Vec::len), Some(1), "q={q}");
        assert_eq!(page["data"][0]["id"], acme["id"], "q={q}");
    }
    let none = expect_json(
        app.get(&admin, "/api/v1/customers?q=13700000000").await,
        200,
    )
    .await;
    assert_eq!(none["data"], json!([]), "a phone nobody holds finds nobody");
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_match_regardless_of_case_and_accents_best_first() {
    let app = spawn().await;
    let admin = app.token(Role::Admin);
    for name in ["Émile Zola", "Emile Zolan Holdings", "Zoë Martin", "Acme"] {
        create(&app, &json!({"kind": "individual", "name": name})).await;
    }
    let page = expect_json(
        app.get(&admin, "/api/v1/customers?q=EMILE%20zola").await,
        200,
    )
    .await;
    let found = names(&page);
    assert_eq!(
        found.first().map(String::as_str),
        Some("Émile Zola"),
        "exact match first: {found:?}"
    );
    assert!(found.contains(&"Emile Zolan Holdings".to_owned()));
    assert!(!found.contains(&"Acme".to_owned()));
    let zoe = expect_json(app.get(&admin, "/api/v1/customers?q=zoe").await, 200).await;
    assert_eq!(names(&zoe), vec!["Zoë Martin"]);
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_business_is_found_by_part_of_its_legal_name_as_by_its_name() {
    let app = spawn().await;
    let admin = app.token(Role::Admin);
    let shenzhen = create(
        &app,
        &json!({"kind": "business", "name": "Acme",
            "company": {"legal_name": "Shenzhen Acme Trading Co., Ltd."}}),
    )
    .await;
    create(&app, &acme()).await;
    create(
        &app,
        &json!({"kind": "business", "name": "SG Logistics",
            "company": {"legal_name": "Société Générale Logistique"}}),
    )
    .await;
    create(&app, &json!({"kind": "individual", "name": "李雷"})).await;
    let find = |q: &'static str| {
        let (app, admin) = (&app, &admin);
        async move {
            let page = app.get(admin, &format!("/api/v1/customers?q={q}")).await;
            let mut found = names(&expect_json(page, 200).await);
            found.sort();
            found
        }
    };

    assert_eq!(find("Trading").await, ["Acme", "Acme Trading"], "q=Trading");
    assert_eq!(find("shenzhen%20ACME").await, ["Acme"], "case-folded");
    assert_eq!(
        find("%E9%98%BF%E5%85%8B%E7%B1%B3%E8%B4%B8%E6%98%93").await,
        ["Acme Trading"],
        "阿克米贸易, part of 杭州阿克米贸易有限公司"
    );
    let acmes = app.get(&admin, "/api/v1/customers?q=acme").await;
    let acmes = names(&expect_json(acmes, 200).await);
    assert_eq!(acmes, ["Acme", "Acme Trading"], "exact name first");
    assert_eq!(find("generale").await, ["SG Logistics"], "accent-folded");

    let path = format!("/api/v1/customers/{}", shenzhen["id"].as_str().expect("id"));
    let renamed = json!({"company": {"legal_name": "Guangzhou Acme Freight Co., Ltd."}});
    expect_json(app.patch(&admin, &path, &renamed).await, 200).await;
    assert_eq!(
        find("freight").await,
        ["Acme"],
        "an edited legal name is found"
    );
    assert_eq!(
        find("shenzhen").await,
        Vec::<String>::new(),
        "the old one no more"
    );
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_combine_and_pages_follow_the_cursor() {
    let app = spawn().await;
    let admin = app.token(Role::Admin);
    for (i, city) in ["北京", "杭州", "北京"].iter().enumerate() {
        create(
            &app,
            &json!({"kind": "business", "name": format!("Firm {i}"), "industry": "retail",
            "region": {"city": city}, "tags": ["vip"]}),
        )
        .await;
    }
    create(
        &app,
        &json!({"kind": "individual", "name": "Solo", "region": {"city": "北京"}}),
    )
    .await;

    let first = expect_json(
        app.get(
            &admin,
            "/api/v1/customers?kind=business&city_tier=tier1&tag=vip&limit=1",
        )
        .await,
        200,
    )
    .await;
    assert_eq!(names(&first), vec!["Firm 2"], "newest first");
    let cursor = first["next_cursor"].as_str().expect("a second page");
    let second = expect_json(
        app.get(
            &admin,
            &format!(
                "/api/v1/customers?kind=business&city_tier=tier1&tag=vip&limit=1&cursor={cursor}"
            ),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(names(&second), vec!["Firm 0"]);
    assert_eq!(second["next_cursor"], Value::Null);
    let by_industry = expect_json(
        app.get(
            &admin,
            "/api/v1/customers?industry=retail&value_tier=small&lifecycle_stage=prospect",
        )
        .await,
        200,
    )
    .await;
    assert_eq!(by_industry["data"].as_array().map(Vec::len), Some(3));
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_filter_values_are_all_refused() {
    let app = spawn().await;
    let resp = app.get(&app.token(Role::Admin), "/api/v1/customers?kind=robot&value_tier=gold&lifecycle_stage=zombie&city_tier=tier9&limit=500").await;
    let problem = expect_json(resp, 422).await;
    let fields = kuaidi_shared::testing::strings(&problem["errors"], "field");
    assert_eq!(
        fields,
        vec![
            "kind",
            "value_tier",
            "lifecycle_stage",
            "city_tier",
            "limit"
        ]
    );
    app.app.stop().await;
}
