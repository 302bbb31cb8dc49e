//! End customers in the app (SPEC §3): a `customer` token opens cases on parcels sent to or by
//! that person — "by" known from the customer files holding their phone, learnt from the
//! customers service's events — and reads only their own cases.

use kuaidi_shared::events::catalogue::{CustomerErasedV1, CustomerUpdatedV1};
use kuaidi_shared::testing::customer_created;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{complaint, json_of, merged, shipment, time, Desk};

pub(crate) const CHEN: &str = "phone-hash-of-chen";

/// An app report on `tracking_number`.
pub(crate) fn report(tracking_number: &str) -> Value {
    let mut body = complaint("delay");
    body["channel"] = json!("app");
    body["tracking_number"] = json!(tracking_number);
    body
}

impl Desk {
    /// Publishes `customer.created` for `customer` holding the phones `hashes` and waits until
    /// the projection knows the first.
    pub(crate) async fn customer_with_phones(
        &self,
        customer: Uuid,
        merchant: Uuid,
        hashes: &[&str],
    ) {
        let mut created = customer_created(customer, Some(merchant), time("2026-11-01T00:00:00Z"));
        created.phone_hashes = hashes.iter().map(|h| (*h).to_owned()).collect();
        self.publish("customers", customer, &created).await;
        self.until_phone(customer, hashes[0]).await;
    }

    /// A desk that knows chen (a merchant's customer file holding the phone `CHEN`) and a parcel
    /// `tracking_number` chen sent, to the phone `recipient` if named; (desk, merchant, chen).
    pub(crate) async fn chen_sent(
        tracking_number: &str,
        recipient: Option<&str>,
    ) -> (Self, Uuid, Uuid) {
        let t = Desk::spawn().await;
        let (merchant, chen) = (Uuid::now_v7(), Uuid::now_v7());
        t.customer_with_phones(chen, merchant, &[CHEN]).await;
        let mut parcel = shipment(tracking_number, merchant, chen);
        parcel.recipient_phone_hash = recipient.map(str::to_owned);
        t.shipment_created(&parcel).await;
        (t, merchant, chen)
    }

    /// Waits until the projection says `customer` holds the phone `hash`.
    async fn until_phone(&self, customer: Uuid, hash: &str) {
        self.until_db(
            "the customer's phones",
            format!(
                "SELECT count(*) AS n FROM customer_projection \
                 WHERE customer_id = '{customer}' AND '{hash}' = ANY(phone_hashes)"
            ),
        )
        .await;
    }

    /// Waits until the service has handled `count` events of type `event_type`.
    async fn until_handled(&self, event_type: &str, count: i64) {
        self.until_db(
            &format!("{count} {event_type} handled"),
            format!(
                "SELECT (count(*) = {count})::int::int8 AS n FROM processed_events \
                 WHERE event_type = '{event_type}'"
            ),
        )
        .await;
    }

    /// The ids of the cases `token` lists.
    async fn listed(&self, token: &str) -> Vec<String> {
        json_of(self.get(token, "/api/v1/complaints").await, 200).await["data"]
            .as_array()
            .expect("data")
            .iter()
            .filter_map(|c| c["id"].as_str().map(str::to_owned))
            .collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_opens_a_case_on_a_parcel_they_sent_and_sees_it_in_their_list() {
    let (t, merchant, chen) = Desk::chen_sent("KD500000001CN", None).await;
    let stranger = Uuid::now_v7();
    t.shipment_created(&shipment("KD500000002CN", merchant, stranger))
        .await;
    let token = t.env.customer_token(CHEN);

    let opened = json_of(t.create(&token, &report("KD500000001CN")).await, 201).await;
    let theirs = t.create(&token, &report("KD500000002CN")).await;

    assert_eq!(opened["customer_id"], json!(chen), "the sender's own file");
    assert_eq!(opened["channel"], "app");
    assert_eq!(theirs.status(), 404, "a stranger's parcel, as before");
    let problem: Value = theirs.json().await.expect("problem");
    assert_eq!(problem["detail"], "shipment not found");
    let id = opened["id"].as_str().expect("id");
    assert_eq!(t.listed(&token).await, vec![id.to_owned()]);
    assert_eq!(t.case(&token, id).await.status(), 200);
    assert!(t
        .listed(&t.env.customer_token("phone-hash-of-zhao"))
        .await
        .is_empty());
    let mut own_file = report("KD500000001CN");
    own_file["customer_id"] = json!(stranger);
    assert_eq!(
        t.create(&token, &own_file).await.status(),
        404,
        "an end customer names only their own file"
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_reads_the_desks_cases_on_their_file_but_not_a_recipients_report() {
    let (t, _, chen) = Desk::chen_sent("KD500000003CN", Some("phone-hash-of-li")).await;
    let mut by_phone = complaint("damaged");
    by_phone["customer_id"] = json!(chen);
    let desk = t.created(&t.admin(), &by_phone).await;
    let li = t.env.customer_token("phone-hash-of-li");
    let recipients = json_of(t.create(&li, &report("KD500000003CN")).await, 201).await;
    let chen_token = t.env.customer_token(CHEN);

    let listed = t.listed(&chen_token).await;

    assert_eq!(listed, vec![desk["id"].as_str().expect("id").to_owned()]);
    let id = recipients["id"].as_str().expect("id");
    assert_eq!(
        t.case(&chen_token, id).await.status(),
        404,
        "another person's words on a parcel chen sent"
    );
    assert_eq!(t.listed(&li).await, vec![id.to_owned()]);
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_phone_moves_the_parcels_and_a_late_older_change_is_ignored() {
    let (t, _, chen) = Desk::chen_sent("KD500000004CN", None).await;
    let updated = |version: i64, hash: &str| CustomerUpdatedV1 {
        customer_id: chen,
        changed: vec!["phones".into()],
        version,
        updated_at: time("2026-11-02T00:00:00Z"),
        phone_hashes: Some(vec![hash.to_owned()]),
        contact_channel: None,
    };

    t.publish("customers", chen, &updated(3, "new-phone-of-chen"))
        .await;
    t.until_phone(chen, "new-phone-of-chen").await;
    t.publish("customers", chen, &updated(2, CHEN)).await;
    t.until_handled("customer.updated", 2).await;

    let old = t
        .create(&t.env.customer_token(CHEN), &report("KD500000004CN"))
        .await;
    assert_eq!(old.status(), 404, "the old phone is no longer chen's");
    let new = t.env.customer_token("new-phone-of-chen");
    assert_eq!(t.create(&new, &report("KD500000004CN")).await.status(), 201);
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merge_unites_the_phones_and_an_erasure_forgets_them() {
    let t = Desk::spawn().await;
    let (merchant, survivor, duplicate) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    t.customer_with_phones(survivor, merchant, &[CHEN]).await;
    t.customer_with_phones(duplicate, merchant, &["second-phone-of-chen"])
        .await;
    t.shipment_created(&shipment("KD500000005CN", merchant, survivor))
        .await;
    t.shipment_created(&shipment("KD500000006CN", merchant, duplicate))
        .await;
    t.publish("customers", survivor, &merged(survivor, duplicate))
        .await;
    t.until_phone(survivor, "second-phone-of-chen").await;
    let token = t.env.customer_token(CHEN);
    let opened = json_of(t.create(&token, &report("KD500000006CN")).await, 201).await;
    assert_eq!(
        opened["customer_id"],
        json!(survivor),
        "the duplicate's old parcel is chen's too, and its case the survivor's"
    );

    t.publish(
        "customers",
        survivor,
        &CustomerErasedV1 {
            customer_id: survivor,
            phone_hashes: vec![CHEN.into(), "second-phone-of-chen".into()],
            email_hashes: vec![],
            erased_at: time("2026-11-04T00:00:00Z"),
        },
    )
    .await;
    t.until_db(
        "the erasure",
        "SELECT (count(*) = 2)::int::int8 AS n FROM customer_projection \
         WHERE erased_at IS NOT NULL AND phone_hashes = '{}'"
            .into(),
    )
    .await;

    for phone in [CHEN, "second-phone-of-chen"] {
        let token = t.env.customer_token(phone);
        assert_eq!(
            t.create(&token, &report("KD500000005CN")).await.status(),
            404,
            "an erased customer's phone finds no parcel"
        );
        assert!(t.listed(&token).await.is_empty());
    }
    let mut late = customer_created(duplicate, Some(merchant), time("2026-11-01T00:00:00Z"));
    late.phone_hashes = vec!["second-phone-of-chen".into()];
    t.publish("customers", duplicate, &late).await;
    t.until_handled("customer.created", 3).await;
    let token = t.env.customer_token("second-phone-of-chen");
    assert_eq!(
        t.create(&token, &report("KD500000006CN")).await.status(),
        404,
        "a late event brings no phone back after the erasure"
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeat_report_is_folded_only_into_a_case_the_reporter_may_read() {
    let (t, merchant, _) = Desk::chen_sent("KD500000007CN", Some("phone-hash-of-li")).await;
    let mut by_phone = report("KD500000007CN");
    by_phone["channel"] = json!("phone");
    let desk = t.created(&t.admin(), &by_phone).await;
    let li = t.env.customer_token("phone-hash-of-li");

    let first = json_of(t.create(&li, &report("KD500000007CN")).await, 201).await;
    let again = json_of(t.create(&li, &report("KD500000007CN")).await, 200).await;

    assert_ne!(
        first["id"], desk["id"],
        "the shipper's case is not the recipient's to read: a case of their own is opened"
    );
    assert_eq!(again["id"], first["id"], "li's own case is the duplicate");
    assert_eq!(again["duplicate_of"], first["id"]);
    let desk_id = desk["id"].as_str().expect("id");
    t.to_resolving(desk_id).await;
    let mut by_merchant = report("KD500000007CN");
    by_merchant["channel"] = json!("api");
    let theirs = json_of(t.create(&t.merchant(merchant), &by_merchant).await, 200).await;
    assert_eq!(theirs["id"], desk["id"]);
    assert_eq!(
        theirs["proposal"],
        Value::Null,
        "a merchant sees a duplicate as GET shows it: without the internal proposal"
    );
    t.stop().await;
}

/// An app report without a parcel (SPEC §2.1: only type, channel and description are required).
fn about_the_service() -> Value {
    json!({
        "type": "complaint",
        "channel": "app",
        "description": "The courier shouted at me at the counter.",
        "category": "service_attitude",
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_complains_without_a_parcel_on_their_own_file_and_reads_it_back() {
    let t = Desk::spawn().await;
    let (merchant, chen, stranger) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    t.customer_with_phones(chen, merchant, &[CHEN]).await;
    t.customer_with_phones(stranger, merchant, &["phone-hash-of-zhao"])
        .await;
    let token = t.env.customer_token(CHEN);

    let opened = json_of(t.create(&token, &about_the_service()).await, 201).await;

    assert_eq!(
        opened["customer_id"],
        json!(chen),
        "the customer's own file"
    );
    assert_eq!(opened["tracking_number"], Value::Null);
    assert_eq!(opened["merchant_id"], Value::Null, "no parcel, no merchant");
    let id = opened["id"].as_str().expect("id");
    assert_eq!(t.case(&token, id).await.status(), 200, "read back");
    assert_eq!(t.listed(&token).await, vec![id.to_owned()]);
    let zhao = t.env.customer_token("phone-hash-of-zhao");
    assert_eq!(t.case(&zhao, id).await.status(), 404, "nobody else's");
    assert!(t.listed(&zhao).await.is_empty());
    let mut named = about_the_service();
    named["customer_id"] = json!(stranger);
    let refused = t.create(&token, &named).await;
    assert_eq!(
        refused.status(),
        404,
        "an end customer names only their own file"
    );
    let problem: Value = refused.json().await.expect("problem");
    assert_eq!(problem["detail"], "customer not found");
    named["customer_id"] = json!(chen);
    let own = json_of(t.create(&token, &named).await, 201).await;
    assert_eq!(own["customer_id"], json!(chen));
    let mut strangers_parcel = about_the_service();
    t.shipment_created(&shipment("KD500000010CN", merchant, stranger))
        .await;
    strangers_parcel["tracking_number"] = json!("KD500000010CN");
    assert_eq!(
        t.create(&token, &strangers_parcel).await.status(),
        404,
        "a parcel named is still one of theirs"
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_no_file_holds_complains_without_a_parcel_on_no_file() {
    let t = Desk::spawn().await;
    let token = t.env.customer_token("phone-hash-of-a-newcomer");

    let opened = json_of(t.create(&token, &about_the_service()).await, 201).await;

    assert_eq!(
        opened["customer_id"],
        Value::Null,
        "no file holds that phone"
    );
    let id = opened["id"].as_str().expect("id");
    assert_eq!(t.case(&token, id).await.status(), 200, "read back");
    assert_eq!(t.listed(&token).await, vec![id.to_owned()]);
    assert!(t
        .listed(&t.env.customer_token("phone-hash-of-zhao"))
        .await
        .is_empty());
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customers_own_file_is_the_oldest_live_one_holding_their_phone() {
    let t = Desk::spawn().await;
    let (merchant, other_merchant) = (Uuid::now_v7(), Uuid::now_v7());
    let (older, newer) = (Uuid::now_v7(), Uuid::now_v7());
    t.customer_with_phones(newer, other_merchant, &[CHEN]).await;
    t.customer_with_phones(older, merchant, &[CHEN]).await;
    let token = t.env.customer_token(CHEN);

    let first = json_of(t.create(&token, &about_the_service()).await, 201).await;
    t.publish("customers", newer, &merged(newer, older)).await;
    t.until_db(
        "the merge",
        format!(
            "SELECT count(*) AS n FROM customer_projection \
             WHERE customer_id = '{older}' AND merged_into = '{newer}'"
        ),
    )
    .await;
    let second = json_of(t.create(&token, &about_the_service()).await, 201).await;

    assert_eq!(
        first["customer_id"],
        json!(older),
        "the oldest of two files"
    );
    assert_eq!(
        second["customer_id"],
        json!(newer),
        "a file merged away is no longer theirs to be on: its survivor is"
    );
    t.stop().await;
}
