//! Unit tests of the tracking rules.

use super::*;
use chrono::TimeZone;

fn at(hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, hour, 0, 0)
        .single()
        .expect("valid time")
}

fn event(id: &str, status: ShipmentStatus, sub: Option<Substatus>, hour: u32) -> TrackingEvent {
    TrackingEvent {
        event_id: id.into(),
        status,
        substatus: sub,
        occurred_at: at(hour),
        location: None,
        description: None,
        courier_id: None,
        signed_by: None,
    }
}

fn pending() -> TrackState {
    TrackState {
        status: ShipmentStatus::Pending,
        substatus: None,
        last_event_at: None,
        delivered_at: None,
        signed_by: None,
        last_sequence: 1,
        first_in_transit_at: None,
    }
}

#[test]
fn every_accepted_event_gets_the_next_sequence() {
    let mut s = pending();
    let a = s.apply(&event("a", ShipmentStatus::InTransit, None, 1));
    let b = s.apply(&event("b", ShipmentStatus::InTransit, None, 2));
    assert_eq!((a.sequence, b.sequence), (2, 3));
    assert_eq!(s.last_sequence, 3);
    assert!(b.transition.is_none(), "same status is not a change");
}

#[test]
fn an_older_late_event_joins_the_timeline_without_moving_the_status() {
    let mut s = pending();
    s.apply(&event("b", ShipmentStatus::OutForDelivery, None, 5));
    let late = s.apply(&event("a", ShipmentStatus::InTransit, None, 3));
    assert_eq!(
        late.transition, None,
        "a late scan must not move the status back"
    );
    assert_eq!(late.sequence, 3);
    assert_eq!(s.status, ShipmentStatus::OutForDelivery);
    assert_eq!(s.last_event_at, Some(at(5)));
}

#[test]
fn delivered_is_terminal_except_for_a_later_return_to_sender() {
    let mut s = pending();
    s.apply(&event(
        "d",
        ShipmentStatus::Delivered,
        Some(Substatus::Signed),
        5,
    ));
    assert_eq!(s.delivered_at, Some(at(5)));
    let after = s.apply(&event("t", ShipmentStatus::InTransit, None, 6));
    assert_eq!(
        after.transition, None,
        "delivered does not move back to in_transit"
    );
    let lost = s.apply(&event(
        "l",
        ShipmentStatus::Exception,
        Some(Substatus::Lost),
        7,
    ));
    assert_eq!(
        lost.transition, None,
        "only returned_to_sender reopens a delivery"
    );
    let back = s.apply(&event(
        "r",
        ShipmentStatus::Exception,
        Some(Substatus::ReturnedToSender),
        8,
    ));
    assert_eq!(
        back.transition,
        Some(Transition {
            from: ShipmentStatus::Delivered,
            to: ShipmentStatus::Exception,
            substatus: Some(Substatus::ReturnedToSender),
        })
    );
    assert_eq!(
        s.delivered_at, None,
        "a returned parcel is no longer delivered"
    );
}

#[test]
fn a_return_to_sender_older_than_the_delivery_does_not_reopen_it() {
    let mut s = pending();
    s.apply(&event("d", ShipmentStatus::Delivered, None, 5));
    let old = s.apply(&event(
        "r",
        ShipmentStatus::Exception,
        Some(Substatus::ReturnedToSender),
        4,
    ));
    assert_eq!(old.transition, None);
    assert_eq!(s.status, ShipmentStatus::Delivered);
}

#[test]
fn a_return_to_sender_newer_than_the_delivery_reopens_it_even_after_a_later_ignored_scan() {
    let mut s = pending();
    s.apply(&event("d", ShipmentStatus::Delivered, None, 5));
    s.apply(&event("t", ShipmentStatus::InTransit, None, 8));
    assert_eq!(
        s.status,
        ShipmentStatus::Delivered,
        "the stray scan is ignored"
    );
    let back = s.apply(&event(
        "r",
        ShipmentStatus::Exception,
        Some(Substatus::ReturnedToSender),
        7,
    ));
    assert_eq!(s.status, ShipmentStatus::Exception, "{back:?}");
    assert_eq!(s.delivered_at, None);
}

#[test]
fn a_new_scan_revives_an_expired_shipment() {
    let mut s = pending();
    s.status = ShipmentStatus::Expired;
    let t = s.apply(&event("a", ShipmentStatus::InTransit, None, 1));
    assert_eq!(t.transition.map(|t| t.to), Some(ShipmentStatus::InTransit));
}

#[test]
fn a_substatus_change_within_exception_is_a_change() {
    let mut s = pending();
    s.apply(&event(
        "a",
        ShipmentStatus::Exception,
        Some(Substatus::Delayed),
        1,
    ));
    let t = s.apply(&event(
        "b",
        ShipmentStatus::Exception,
        Some(Substatus::Lost),
        2,
    ));
    assert_eq!(
        t.transition.and_then(|t| t.substatus),
        Some(Substatus::Lost)
    );
}

#[test]
fn only_live_shipments_idle_for_30_days_expire() {
    let now = at(12);
    let old = now - Duration::days(31);
    let rules = ExpiryRules::DEFAULT;
    assert!(is_expired(ShipmentStatus::InTransit, old, now, &rules));
    assert!(!is_expired(
        ShipmentStatus::InTransit,
        now - Duration::days(29),
        now,
        &rules
    ));
    assert!(!is_expired(ShipmentStatus::Delivered, old, now, &rules));
    assert!(!is_expired(ShipmentStatus::Expired, old, now, &rules));
}

#[test]
fn a_configured_expiry_period_replaces_the_30_days() {
    let now = at(12);
    let week = ExpiryRules {
        expire_after_days: 7,
    };
    let idle = now - Duration::days(8);
    assert!(is_expired(ShipmentStatus::InTransit, idle, now, &week));
    assert!(!is_expired(
        ShipmentStatus::InTransit,
        idle,
        now,
        &ExpiryRules::DEFAULT
    ));
    assert_eq!(week.expire_after(), Duration::days(7));
}

#[test]
fn customer_facing_moves_request_notifications() {
    assert_eq!(
        notification_template(ShipmentStatus::OutForDelivery),
        Some("shipment.out_for_delivery")
    );
    assert_eq!(notification_template(ShipmentStatus::InTransit), None);
}

#[test]
fn the_delivering_event_names_the_signer_and_a_return_forgets_it() {
    let mut s = pending();
    let mut late = event("late", ShipmentStatus::Delivered, None, 1);
    late.signed_by = Some("李四".into());
    let mut delivered = event("d", ShipmentStatus::Delivered, Some(Substatus::Signed), 3);
    delivered.signed_by = Some("张三".into());
    s.apply(&delivered);
    assert_eq!(s.signed_by.as_deref(), Some("张三"));
    s.apply(&late);
    assert_eq!(
        s.signed_by.as_deref(),
        Some("张三"),
        "an older delivery does not rename the signer"
    );
    s.apply(&event(
        "r",
        ShipmentStatus::Exception,
        Some(Substatus::ReturnedToSender),
        4,
    ));
    assert_eq!(
        s.signed_by, None,
        "returned to sender: no longer signed for"
    );
}

#[test]
fn the_earliest_in_transit_scan_is_kept_whatever_the_arrival_order() {
    let mut s = pending();
    s.apply(&event("b", ShipmentStatus::InTransit, None, 5));
    assert_eq!(s.first_in_transit_at, Some(at(5)));
    s.apply(&event("o", ShipmentStatus::OutForDelivery, None, 6));
    let late = s.apply(&event("a", ShipmentStatus::InTransit, None, 3));
    assert_eq!(late.transition, None, "a late scan moves no status");
    assert_eq!(s.first_in_transit_at, Some(at(3)), "but it is the earliest");
    s.apply(&event("c", ShipmentStatus::InTransit, None, 4));
    s.apply(&event(
        "x",
        ShipmentStatus::Exception,
        Some(Substatus::Delayed),
        2,
    ));
    assert_eq!(s.first_in_transit_at, Some(at(3)));
    assert_eq!(s.status, ShipmentStatus::OutForDelivery);
}

/// A delivery scan with `sub`, signed for by `signer` when given.
fn delivery(id: &str, sub: Substatus, signer: Option<&str>, hour: u32) -> TrackingEvent {
    let mut ev = event(id, ShipmentStatus::Delivered, Some(sub), hour);
    ev.signed_by = signer.map(Into::into);
    ev
}

#[test]
fn a_newer_delivery_scan_sets_the_substatus_and_signer_but_keeps_the_delivery_time() {
    let mut s = pending();
    s.apply(&delivery("d1", Substatus::Signed, Some("张三"), 3));
    let shown = |s: &TrackState| (s.substatus, s.signed_by.clone(), s.delivered_at);
    let steps = [
        // Newer, naming no signer: the substatus follows, the signer stays.
        (
            delivery("d2", Substatus::CodCollected, None, 4),
            (Substatus::CodCollected, "张三", 4),
        ),
        // Older, arriving late: nothing changes.
        (
            delivery("d0", Substatus::LeftAtDoor, Some("王五"), 2),
            (Substatus::CodCollected, "张三", 4),
        ),
        // Newer, naming a signer: both follow.
        (
            delivery("d3", Substatus::PickedUpByCustomer, Some("赵六"), 5),
            (Substatus::PickedUpByCustomer, "赵六", 5),
        ),
    ];
    for (ev, (sub, signer, last)) in steps {
        let applied = s.apply(&ev);
        assert_eq!(
            applied.transition, None,
            "{}: still delivered, once: no second delivery to tell",
            ev.event_id
        );
        assert_eq!(
            shown(&s),
            (Some(sub), Some(signer.to_owned()), Some(at(3))),
            "{}: delivered_at stays the first delivery's time",
            ev.event_id
        );
        assert_eq!(s.last_event_at, Some(at(last)), "{}", ev.event_id);
        assert_eq!(s.status, ShipmentStatus::Delivered);
    }
}
