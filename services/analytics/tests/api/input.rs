//! The edge guard (SPEC §2 "Text input"): text PostgreSQL cannot store is refused with 422
//! problem+json naming the parameter, never a 500.

use kuaidi_shared::auth::Role;
use kuaidi_shared::testing::expect_refused_fields;

use crate::helpers::TestApp;

#[tokio::test]
async fn nul_in_a_filter_is_refused_naming_the_parameter() {
    let app = TestApp::spawn().await;
    let resp = app
        .get(
            &app.token(Role::Admin),
            "/api/v1/analytics/kpis?city=%E5%8C%97%00",
        )
        .await;
    expect_refused_fields(resp, &["city"]).await;
}
