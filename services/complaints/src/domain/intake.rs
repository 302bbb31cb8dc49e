//! Intake of a new case: validation, priority derivation, the case number, SLA deadlines.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use kuaidi_shared::auth::{Principal, Role};
use kuaidi_shared::{ApiError, FieldError};
use uuid::Uuid;

use super::vocab::{Priority, CATEGORIES, CHANNELS, TYPES};

/// What a caller asked to open, as received (the API body converts into it): required texts
/// arrive as `""` when absent, so that [`Intake::parse`] reports every problem at once.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub type_: String,
    pub channel: String,
    pub description: String,
    pub customer_id: Option<Uuid>,
    pub tracking_number: Option<String>,
    pub category: Option<String>,
    pub priority: Option<String>,
    pub merchant_id: Option<Uuid>,
}

/// A validated intake request.
#[derive(Debug, Clone)]
pub struct Intake {
    pub type_: String,
    pub channel: String,
    pub description: String,
    pub customer_id: Option<Uuid>,
    pub tracking_number: Option<String>,
    pub category: Option<String>,
    /// As given by the caller; derived when absent.
    pub priority: Option<Priority>,
    /// As named by the caller (a known shipment's merchant wins; see `workflow::intake`).
    pub merchant_id: Option<Uuid>,
    /// Opened by the service on a key account's lost or damaged parcel (assigned afterwards
    /// through the lifecycle: `workflow::proactive`).
    pub proactive: bool,
}

impl Intake {
    /// Checks every field and reports all problems at once. Merchants complain about their
    /// own shipments only, so they must name one; an end customer may complain without a
    /// parcel (a service attitude, a bill), as staff may.
    pub fn parse(req: Draft, caller: &Principal) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        one_of(&mut errors, "type", &req.type_, &TYPES);
        one_of(&mut errors, "channel", &req.channel, &CHANNELS);
        if caller.role == Role::Customer && !req.channel.is_empty() && req.channel != "app" {
            errors.push(FieldError::new("channel", "must be app for end customers"));
        }
        let description = req.description.trim().to_owned();
        if !super::fields::storable(&description) {
            errors.push(FieldError::new(
                "description",
                "must not contain NUL characters",
            ));
        } else if description.is_empty() {
            errors.push(FieldError::new("description", "is required"));
        } else if description.chars().count() > MAX_DESCRIPTION {
            errors.push(FieldError::new(
                "description",
                format!("must be at most {MAX_DESCRIPTION} characters"),
            ));
        }
        if let Some(c) = &req.category {
            one_of(&mut errors, "category", c, &CATEGORIES);
        }
        let priority = match req.priority.as_deref() {
            Some(p) => {
                let parsed = Priority::parse(p);
                if parsed.is_none() {
                    errors.push(FieldError::new(
                        "priority",
                        "must be one of low, normal, high, urgent",
                    ));
                }
                parsed
            }
            None => None,
        };
        let tracking_number = req
            .tracking_number
            .map(|t| t.trim().to_ascii_uppercase())
            .filter(|t| !t.is_empty());
        match &tracking_number {
            Some(t) if !super::fields::storable(t) => errors.push(FieldError::new(
                "tracking_number",
                "must not contain NUL characters",
            )),
            Some(t) if t.len() > MAX_TRACKING_NUMBER => errors.push(FieldError::new(
                "tracking_number",
                format!("must be at most {MAX_TRACKING_NUMBER} characters"),
            )),
            None if caller.role == Role::Merchant => errors.push(FieldError::new(
                "tracking_number",
                "is required (a case concerns one of your shipments)",
            )),
            _ => {}
        }
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        Ok(Self {
            type_: req.type_,
            channel: req.channel,
            description,
            customer_id: req.customer_id,
            tracking_number,
            category: req.category,
            priority,
            merchant_id: req.merchant_id,
            proactive: false,
        })
    }
}

const MAX_DESCRIPTION: usize = 10_000;
const MAX_TRACKING_NUMBER: usize = 40;

/// Reports `value` unless it is one of `allowed` (absent values arrive as "").
fn one_of(errors: &mut Vec<FieldError>, field: &str, value: &str, allowed: &[&str]) {
    if value.is_empty() {
        errors.push(FieldError::new(field, "is required"));
    } else if !allowed.contains(&value) {
        errors.push(FieldError::new(
            field,
            format!("must be one of {}", allowed.join(", ")),
        ));
    }
}

/// Priority at intake when the caller gave none (SPEC §6): category severity (lost, damaged,
/// legal → high, else normal), +1 for a repeat complaint on the same tracking number within 30
/// days, +1 on the public channel `weibo`; capped at urgent. Key accounts get one more level
/// whether the priority was given or derived ([`fast_lane`]).
pub fn derive_priority(category: Option<&str>, channel: &str, repeat: bool) -> Priority {
    let mut p = match category {
        Some("lost" | "damaged" | "legal") => Priority::High,
        _ => Priority::Normal,
    };
    if repeat {
        p = p.raised();
    }
    if channel == "weibo" {
        p = p.raised();
    }
    p
}

/// The key-account fast lane (绿色通道): one priority level up.
pub fn fast_lane(priority: Priority, key_account: bool) -> Priority {
    if key_account {
        priority.raised()
    } else {
        priority
    }
}

/// Whether a parcel is an end customer's (SPEC §3: "sent to or by the customer"): sent to the
/// phone whose blind index their token carries, or by one of the customer files holding that
/// phone (`own`, from the customer projection).
pub fn parcel_of_customer(
    phone_hash: Option<&str>,
    recipient_phone_hash: Option<&str>,
    shipper: Option<Uuid>,
    own: &[Uuid],
) -> bool {
    phone_hash.is_some_and(|h| recipient_phone_hash == Some(h))
        || shipper.is_some_and(|s| own.contains(&s))
}

/// The earliest receipt time an open case may have for a new report to repeat it: the dedup
/// window (*default* 24 h, `[intake] dedup_window_hours`) before `now`.
pub fn dedup_since(now: DateTime<Utc>, window_hours: u32) -> DateTime<Utc> {
    now - Duration::hours(i64::from(window_hours))
}

/// `C` + yyyymmdd + the day's 5-digit counter.
pub fn case_number(day: NaiveDate, counter: i32) -> String {
    format!("C{}{counter:05}", day.format("%Y%m%d"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(role: Role) -> Principal {
        Principal {
            sub: "someone".into(),
            role,
            scopes: vec![],
            merchant_id: (role == Role::Merchant).then(Uuid::now_v7),
            phone_hash: None,
            issued_at: 0,
        }
    }

    /// A draft from JSON shaped like the API body (absent texts as "").
    fn request(body: serde_json::Value) -> Draft {
        let text = |k: &str| body[k].as_str().unwrap_or_default().to_owned();
        let opt = |k: &str| body[k].as_str().map(str::to_owned);
        Draft {
            type_: text("type"),
            channel: text("channel"),
            description: text("description"),
            customer_id: opt("customer_id").and_then(|c| c.parse().ok()),
            tracking_number: opt("tracking_number"),
            category: opt("category"),
            priority: opt("priority"),
            merchant_id: opt("merchant_id").and_then(|m| m.parse().ok()),
        }
    }

    fn fields_refused(body: serde_json::Value, role: Role) -> Vec<String> {
        match Intake::parse(request(body), &caller(role)) {
            Err(ApiError::Validation(errors)) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("a validation error was expected, got {other:?}"),
        }
    }

    #[test]
    fn severe_categories_start_high_and_everything_else_normal() {
        for severe in ["lost", "damaged", "legal"] {
            assert_eq!(
                derive_priority(Some(severe), "phone", false),
                Priority::High,
                "{severe} is severe"
            );
        }
        assert_eq!(
            derive_priority(Some("delay"), "phone", false),
            Priority::Normal
        );
        assert_eq!(derive_priority(None, "phone", false), Priority::Normal);
    }

    #[test]
    fn weibo_and_a_repeat_on_the_same_shipment_each_raise_one_level() {
        assert_eq!(
            derive_priority(Some("delay"), "weibo", false),
            Priority::High
        );
        assert_eq!(derive_priority(Some("delay"), "app", true), Priority::High);
        assert_eq!(
            derive_priority(Some("delay"), "weibo", true),
            Priority::Urgent
        );
    }

    #[test]
    fn derived_priority_is_capped_at_urgent() {
        assert_eq!(
            derive_priority(Some("damaged"), "weibo", true),
            Priority::Urgent,
            "high + 2 stays urgent"
        );
        assert_eq!(Priority::Urgent.raised(), Priority::Urgent);
    }

    #[test]
    fn case_numbers_carry_the_day_and_a_five_digit_counter() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 24).expect("date");
        assert_eq!(case_number(day, 17), "C2026112400017");
        assert_eq!(case_number(day, 1), "C2026112400001");
        assert_eq!(case_number(day, 99_999), "C2026112499999");
    }

    #[test]
    fn the_dedup_window_is_configurable() {
        let now = NaiveDate::from_ymd_opt(2026, 11, 24)
            .expect("date")
            .and_hms_opt(12, 0, 0)
            .expect("time")
            .and_utc();
        assert_eq!(dedup_since(now, 24), now - Duration::days(1));
        assert_eq!(dedup_since(now, 2), now - Duration::hours(2));
    }

    #[test]
    fn key_accounts_go_one_level_up_capped_at_urgent() {
        assert_eq!(fast_lane(Priority::Normal, true), Priority::High);
        assert_eq!(fast_lane(Priority::Normal, false), Priority::Normal);
        assert_eq!(fast_lane(Priority::Urgent, true), Priority::Urgent);
    }

    #[test]
    fn unknown_enum_values_are_each_reported() {
        let refused = fields_refused(
            serde_json::json!({"type": "rant", "channel": "pigeon", "description": " ",
                "category": "mood", "priority": "asap"}),
            Role::Agent,
        );
        assert_eq!(
            refused,
            vec!["type", "channel", "description", "category", "priority"]
        );
    }

    #[test]
    fn missing_required_fields_are_each_reported() {
        let refused = fields_refused(serde_json::json!({}), Role::Agent);
        assert_eq!(refused, vec!["type", "channel", "description"]);
    }

    #[test]
    fn merchants_must_name_the_shipment_a_case_is_about() {
        let body = serde_json::json!({"type": "complaint", "channel": "api", "description": "x"});
        assert_eq!(
            fields_refused(body.clone(), Role::Merchant),
            vec!["tracking_number"]
        );
        assert!(
            Intake::parse(request(body), &caller(Role::Agent)).is_ok(),
            "staff may open a case without a shipment"
        );
    }

    #[test]
    fn end_customers_may_complain_without_a_parcel() {
        let body = serde_json::json!({"type": "complaint", "channel": "app",
            "description": "the courier was rude", "category": "service_attitude"});
        let intake = Intake::parse(request(body), &caller(Role::Customer))
            .expect("a customer's case need not concern a parcel");
        assert_eq!(intake.tracking_number, None);
        let blank = serde_json::json!({"type": "complaint", "channel": "app",
            "description": "billed twice", "tracking_number": "  "});
        assert!(
            Intake::parse(request(blank), &caller(Role::Customer))
                .is_ok_and(|i| i.tracking_number.is_none()),
            "a blank tracking number is no parcel"
        );
    }

    #[test]
    fn an_end_customers_parcels_are_those_sent_to_their_phone_or_by_their_files() {
        let (mine, stranger) = (Uuid::now_v7(), Uuid::now_v7());
        let own = [mine];
        assert!(
            parcel_of_customer(Some("h"), Some("h"), Some(stranger), &own),
            "sent to them"
        );
        assert!(
            parcel_of_customer(Some("h"), Some("other"), Some(mine), &own),
            "sent by them"
        );
        assert!(!parcel_of_customer(
            Some("h"),
            Some("other"),
            Some(stranger),
            &own
        ));
        assert!(!parcel_of_customer(Some("h"), None, None, &own), "nobody's");
        assert!(
            !parcel_of_customer(None, None, Some(stranger), &[]),
            "a token without a phone matches nothing"
        );
        assert!(!parcel_of_customer(None, None, None, &[]));
    }

    #[test]
    fn tracking_numbers_are_trimmed_and_upper_cased() {
        let intake = Intake::parse(
            request(serde_json::json!({"type": "complaint", "channel": "phone",
                "description": "late", "tracking_number": " kd473124829cn "})),
            &caller(Role::Agent),
        )
        .expect("valid");
        assert_eq!(intake.tracking_number.as_deref(), Some("KD473124829CN"));
        assert_eq!(intake.priority, None, "left for derivation");
    }
}
