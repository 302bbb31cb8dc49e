//! Starts the complaints service for one test, and what tests need around it: requests, tokens,
//! `shipment.created` events as the shipments service would publish them.

use chrono::Utc;
use diesel::{Connection, PgConnection};
use kuaidi_shared::app::RunningApp;
use kuaidi_shared::auth::Role;
use kuaidi_shared::events::catalogue::{PlaceV1, ShipmentCreatedV1};
use kuaidi_shared::events::CloudEvent;
use kuaidi_shared::money::Money;
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::testing::{eventually, publish, TestEnv};
use secrecy::ExposeSecret;
use serde_json::{json, Value};
use std::time::Duration;
use uuid::Uuid;

pub struct TestApp {
    pub env: TestEnv,
    pub app: RunningApp,
    /// The service's own database, to wait for its projections.
    database_url: String,
}

impl TestApp {
    pub async fn spawn() -> Self {
        let env = TestEnv::new();
        let settings = env.settings("complaints");
        let database_url = settings.database_url.expose_secret().to_owned();
        let app = kuaidi_complaints::build(settings)
            .await
            .expect("complaints service builds")
            .spawn();
        Self {
            env,
            app,
            database_url,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.app.url())
    }

    pub async fn create(&self, token: &str, body: &Value) -> reqwest::Response {
        self.env
            .http
            .post(self.url("/api/v1/complaints"))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    /// Creates a case that must be accepted (`201`) and returns it.
    pub async fn created(&self, token: &str, body: &Value) -> Value {
        let resp = self.create(token, body).await;
        assert_eq!(resp.status(), 201, "the case should be opened");
        resp.json().await.expect("json")
    }

    pub async fn get(&self, token: &str, id: &str) -> reqwest::Response {
        self.env
            .http
            .get(self.url(&format!("/api/v1/complaints/{id}")))
            .bearer_auth(token)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn history(&self, token: &str, id: &str) -> reqwest::Response {
        self.env
            .http
            .get(self.url(&format!("/api/v1/complaints/{id}/history")))
            .bearer_auth(token)
            .send()
            .await
            .expect("request sent")
    }

    pub fn admin(&self) -> String {
        self.env.token(Role::Admin, None)
    }

    pub fn merchant(&self, merchant_id: Uuid) -> String {
        self.env.token(Role::Merchant, Some(merchant_id))
    }

    /// Publishes `shipment.created` to the test exchange, as the shipments service's relay
    /// would, and waits until the service's projection holds it.
    pub async fn shipment_created(&self, shipment: &ShipmentCreatedV1) {
        let event = CloudEvent::new(
            "shipments",
            shipment.shipment_id.to_string(),
            shipment,
            &RequestContext::detached(),
            Uuid::now_v7(),
            Utc::now(),
        );
        publish(&self.env.amqp, &event).await;
        let tn = shipment.tracking_number.clone();
        eventually(
            Duration::from_secs(10),
            "the shipment in the projection",
            || {
                let (url, tn) = (self.database_url.clone(), tn.clone());
                async move {
                    tokio::task::spawn_blocking(move || {
                        let mut conn = PgConnection::establish(&url).expect("test database");
                        kuaidi_complaints::db::shipments::find(&mut conn, &tn).expect("query")
                    })
                    .await
                    .expect("probe ran")
                    .map(drop)
                }
            },
        )
        .await;
    }
}

/// A shipment of `merchant_id` sent by `customer_id` from 上海 to 北京.
pub fn shipment(tracking_number: &str, merchant_id: Uuid, customer_id: Uuid) -> ShipmentCreatedV1 {
    ShipmentCreatedV1 {
        shipment_id: Uuid::now_v7(),
        tracking_number: tracking_number.into(),
        merchant_id: Some(merchant_id),
        shipper_customer_id: Some(customer_id),
        service_level: "express".into(),
        origin: PlaceV1 {
            city: "上海".into(),
            province: None,
            hub_code: Some("SHA01".into()),
        },
        destination: PlaceV1 {
            city: "北京".into(),
            province: None,
            hub_code: Some("PEK02".into()),
        },
        weight_kg: 1.0,
        freight: Money {
            amount: "15.00".into(),
            currency: "CNY".into(),
        },
        declared_value: None,
        cod_amount: None,
        promised_at: None,
        created_at: Utc::now(),
        sequence: 1,
        recipient_phone_hash: None,
    }
}

/// A valid intake body; tests override fields.
pub fn complaint(category: &str) -> Value {
    json!({
        "type": "complaint",
        "channel": "phone",
        "description": "The parcel is three days late and nobody called.",
        "category": category,
    })
}

/// The `field`s of a problem document's `errors`, in order.
pub async fn refused_fields(resp: reqwest::Response) -> Vec<String> {
    assert_eq!(resp.status(), 422, "a validation failure was expected");
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    let problem: Value = resp.json().await.expect("json");
    problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str().map(str::to_owned))
        .collect()
}
