//! The edge guard (SPEC §2 "Text input"): text PostgreSQL cannot store and bodies of the wrong
//! JSON type are refused with 422 problem+json naming the field, never a 500.

use kuaidi_shared::testing::expect_refused_fields;

use crate::helpers::{spawn, Shipments};

#[tokio::test]
async fn nul_or_lone_surrogates_in_tracking_numbers_are_refused_naming_each() {
    let app = spawn().await;
    let raw = r#"{"tracking_numbers": ["KD1\u0000", "KD2", "\ud83d", "\udc00\ud800"]}"#;
    let resp = app
        .post_raw(&app.admin(), "/api/v1/tracking:batch-get", raw)
        .await;
    expect_refused_fields(
        resp,
        &[
            "tracking_numbers[0]",
            "tracking_numbers[2]",
            "tracking_numbers[3]",
        ],
    )
    .await;
}

#[tokio::test]
async fn nul_in_a_path_parameter_is_refused() {
    let app = spawn().await;
    let resp = app.shipment(&app.admin(), "KD1%00").await;
    expect_refused_fields(resp, &["path"]).await;
}

#[tokio::test]
async fn a_batch_that_is_not_an_object_is_refused() {
    let app = spawn().await;
    let resp = app
        .post_raw(
            &app.admin(),
            "/api/v1/tracking-events:batch",
            r#"[{"events": []}]"#,
        )
        .await;
    expect_refused_fields(resp, &["body"]).await;
}

#[tokio::test]
async fn unstorable_text_outside_a_batchs_events_still_refuses_the_batch() {
    let app = spawn().await;
    for (raw, fields) in [
        (
            r#"{"note": "\u0000", "events": [{"event_id": "\ud800"}]}"#,
            &["events[0].event_id", "note"][..],
        ),
        (r#"{"events": "\ud800"}"#, &["events"]),
    ] {
        let resp = app
            .post_raw(&app.admin(), "/api/v1/tracking-events:batch", raw)
            .await;
        expect_refused_fields(resp, fields).await;
    }
}
