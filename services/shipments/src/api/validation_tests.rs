//! Unit tests of request validation.

use super::*;
use chrono::TimeZone;

fn at(hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, hour, 0, 0)
        .single()
        .expect("valid time")
}

fn req(status: &str, substatus: Option<&str>, occurred_at: &str) -> NewTrackingEvent {
    NewTrackingEvent {
        event_id: "e1".into(),
        status: status.into(),
        occurred_at: occurred_at.into(),
        substatus: substatus.map(Into::into),
        location: None,
        description: None,
        courier_id: None,
        signed_by: None,
    }
}

fn fields(r: Result<TrackingEvent, Vec<FieldError>>) -> Vec<String> {
    r.err()
        .unwrap_or_default()
        .into_iter()
        .map(|e| e.field)
        .collect()
}

#[test]
fn valid_events_parse() {
    let now = at(12);
    let ok = req("delivered", Some("signed"), "2026-11-20T11:00:00+08:00")
        .validate(now)
        .expect("valid event");
    assert_eq!(ok.occurred_at, at(3));
    assert_eq!(ok.substatus, Some(Substatus::Signed));
    assert!(req("in_transit", None, "2026-11-20T12:04:00Z")
        .validate(now)
        .is_ok());
}

#[test]
fn substatus_must_belong_to_its_status() {
    let now = at(12);
    let t = "2026-11-20T10:00:00Z";
    assert_eq!(
        fields(req("delivered", Some("lost"), t).validate(now)),
        ["substatus"]
    );
    assert_eq!(
        fields(req("exception", Some("signed"), t).validate(now)),
        ["substatus"]
    );
    assert_eq!(
        fields(req("in_transit", Some("delayed"), t).validate(now)),
        ["substatus"]
    );
    assert!(req("exception", Some("returned_to_sender"), t)
        .validate(now)
        .is_ok());
}

#[test]
fn bad_status_time_and_event_id_are_all_reported() {
    let now = at(12);
    let mut r = req("teleported", None, "2026-11-20T12:06:00Z");
    r.event_id = "x".repeat(101);
    assert_eq!(
        fields(r.validate(now)),
        ["event_id", "status", "occurred_at"]
    );
    assert_eq!(
        fields(req("expired", None, "2026-11-20T10:00:00Z").validate(now)),
        ["status"]
    );
    assert_eq!(
        fields(req("in_transit", None, "yesterday").validate(now)),
        ["occurred_at"]
    );
    let mut empty = req("in_transit", None, "2026-11-20T10:00:00Z");
    empty.event_id = String::new();
    assert_eq!(fields(empty.validate(now)), ["event_id"]);
}

fn shipment(promised_at: &str) -> CreateShipment {
    serde_json::from_value(serde_json::json!({
        "recipient": {"name": "张三", "phone": "13812345678", "address": "建国路 88 号", "city": "北京"},
        "origin": {"city": "上海"},
        "destination": {"city": "北京"},
        "service_level": "express",
        "weight_kg": 1.0,
        "freight": {"amount": "10.00", "currency": "CNY"},
        "merchant_id": "0193a0c4-8a6e-7c1a-9a51-5f0c2b1d7e01",
        "promised_at": promised_at,
    }))
    .expect("a well-formed body")
}

fn staff() -> Principal {
    Principal {
        sub: "admin".into(),
        role: Role::Admin,
        scopes: Vec::new(),
        merchant_id: None,
        phone_hash: None,
        issued_at: 0,
    }
}

#[test]
fn a_promise_already_past_is_accepted_as_given() {
    let now = at(12);
    let new = shipment("2026-11-20T11:00:00Z")
        .validate(&staff(), now)
        .expect("a past promise is valid (imports, on_time tests)");
    assert_eq!(new.promised_at, at(11));
    assert!(shipment("2001-05-01T00:00:00Z")
        .validate(&staff(), now)
        .is_ok());
}

#[test]
fn only_absurd_promises_are_refused() {
    let now = at(12);
    for absurd in ["1999-12-31T23:59:59Z", "2028-01-01T00:00:00Z"] {
        match shipment(absurd).validate(&staff(), now) {
            Err(ApiError::Validation(errors)) => {
                assert_eq!(errors.len(), 1, "{absurd}: {errors:?}");
                assert_eq!(errors[0].field, "promised_at");
            }
            other => panic!("{absurd} must be refused, got {other:?}"),
        }
    }
}

#[test]
fn only_a_delivery_names_its_signer() {
    let now = at(12);
    let t = "2026-11-20T10:00:00Z";
    let mut delivered = req("delivered", Some("signed"), t);
    delivered.signed_by = Some(" 张三 ".into());
    assert_eq!(
        delivered.validate(now).map(|e| e.signed_by),
        Ok(Some("张三".to_owned()))
    );
    let mut in_transit = req("in_transit", None, t);
    in_transit.signed_by = Some("张三".into());
    assert_eq!(fields(in_transit.validate(now)), ["signed_by"]);
    for bad in [" ".to_owned(), "x".repeat(101)] {
        let mut r = req("delivered", None, t);
        r.signed_by = Some(bad);
        assert_eq!(fields(r.validate(now)), ["signed_by"]);
    }
}
