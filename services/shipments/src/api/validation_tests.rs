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
