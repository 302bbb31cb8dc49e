//! Tracking numbers Kuaidi issues: random serials of its S10 series, which no caller may supply,
//! drawn again when taken — so no one can predict them, and nothing a caller does can make a
//! create without a number fail.

use diesel::{Connection, PgConnection};
use kuaidi_shipments::db::shipments::{find_by_tracking_number, Scope};
use kuaidi_shipments::domain::TrackingNumber;
use kuaidi_shipments::workflow::numbering;
use serde_json::{json, Value};
use std::collections::HashSet;
use uuid::Uuid;

use crate::helpers::{shipment_body, spawn, spawn_with_database, Shipments};
use kuaidi_shared::testing::{body_json, expect_json, expect_problem};

const SERIALS: u64 = 100_000_000;

/// The 8-digit serial of a number of Kuaidi's series, its check digit checked.
fn serial(tn: &str) -> u64 {
    let tn = TrackingNumber::parse(tn).expect("a tracking number");
    assert!(
        tn.is_kuaidi_series(),
        "{tn} is an S10 number of Kuaidi's series"
    );
    tn.as_str()[2..10].parse().expect("digits")
}

/// The probe's attack: the old generator stepped each serial by 7 919 171 from the last, and a
/// merchant could supply the next numbers itself, after which every create without a number
/// failed (`409` naming the database constraint). Numbers of the series are now refused to
/// callers, and the next generated number is not the last one stepped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merchant_cannot_take_the_numbers_kuaidi_issues_next() {
    let t = spawn().await;
    let token = t.merchant(Uuid::now_v7());
    let mut body = shipment_body(Uuid::now_v7());
    body.as_object_mut().map(|b| b.remove("merchant_id"));
    let first = expect_json(t.create(&token, &body).await, 201).await;
    let last = serial(first["tracking_number"].as_str().expect("tn"));

    for k in 1..=5 {
        let next = TrackingNumber::issue((last + k * 7_919_171) % SERIALS);
        body["tracking_number"] = json!(next.as_str());
        let refused = expect_problem(t.create(&token, &body).await, 422).await;
        assert_eq!(
            refused["errors"],
            json!([{"field": "tracking_number",
                    "message": "numbers of this series are issued by Kuaidi"}]),
            "{next} is Kuaidi's to issue"
        );
    }

    body.as_object_mut().map(|b| b.remove("tracking_number"));
    let mut serials = vec![last];
    for _ in 0..5 {
        let created = expect_json(t.create(&token, &body).await, 201).await;
        serials.push(serial(created["tracking_number"].as_str().expect("tn")));
    }
    let steps: HashSet<u64> = serials
        .windows(2)
        .map(|w| (w[1] + SERIALS - w[0]) % SERIALS)
        .collect();
    assert!(
        steps.len() > 1 && !steps.contains(&7_919_171),
        "a number must say nothing of the next: serials {serials:?}"
    );
    t.app.stop().await;
}

/// A drawn number that is taken is drawn again: the create goes through under the first free
/// draw, whatever numbers exist. (The service draws from its CSPRNG; the draws are scripted here.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generated_number_that_is_taken_is_drawn_again() {
    let (t, url) = spawn_with_database().await;
    let (a, b) = (t.created().await, t.created().await);
    let taken = [&a, &b].map(|s| s["tracking_number"].as_str().expect("tn").to_owned());
    let mut conn = PgConnection::establish(&url).expect("the service's database");
    let mut row = find_by_tracking_number(&mut conn, &taken[0], &Scope::All)
        .expect("read")
        .expect("the shipment");
    row.id = Uuid::now_v7();
    row.tracking_number.clear();
    let free = (serial(&taken[0]) + 1) % SERIALS;
    let mut draws = [serial(&taken[0]), serial(&taken[1]), free].into_iter();

    let stored = numbering::insert(&mut conn, &mut row, || draws.next().expect("a draw left"));

    assert!(stored.is_ok(), "a taken draw is drawn again: {stored:?}");
    assert_eq!(row.tracking_number, TrackingNumber::issue(free).as_str());
    assert_eq!(draws.next(), None, "three draws: two taken, one free");
    let found = t.shipment(&t.admin(), &row.tracking_number).await;
    assert_eq!(found.status(), 200, "stored under the free number");
    t.app.stop().await;
}

/// Creates racing for one supplied number: one wins, the others are told the number is taken,
/// in the API's words (never a database constraint's name, SPEC §2).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_creates_of_one_supplied_number_get_one_201_and_409s_without_sql_names() {
    let t = spawn().await;
    let admin = t.admin();
    for round in 0..5 {
        let mut body = shipment_body(Uuid::now_v7());
        body["tracking_number"] = json!(format!("SF9{round}00000123"));
        let answers = futures_util::future::join_all((0..8).map(|_| t.create(&admin, &body))).await;
        let mut created = 0;
        for answer in answers {
            if answer.status() == 201 {
                created += 1;
                continue;
            }
            let problem: Value = body_json(answer).await;
            assert_eq!(problem["status"], 409, "{problem}");
            assert_eq!(problem["code"], "tracking_number_taken", "{problem}");
            assert_eq!(
                problem["detail"],
                format!("conflict: tracking number SF9{round}00000123 already exists"),
                "no constraint named"
            );
        }
        assert_eq!(created, 1, "one shipment per number");
    }
    t.app.stop().await;
}
