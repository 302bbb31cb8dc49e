//! What merchants and end customers see of a case's history — what a Zendesk requester sees of
//! a ticket: its changes of status, the public comments, the replies and the resolution meant
//! for the customer, a repeated report, the evidence added (listed to them anyway) and a
//! survey's answer; never the handlers' notes, proposals, investigation reports, rejection
//! reasons, escalations or SLA marks, nor who on the staff did what (only their role) or
//! another person's phone hash. Staff read the whole history.

use kuaidi_shared::auth::Principal;
use serde_json::{Map, Value};

/// Entries an outsider sees although the status stays the same: a public comment (`internal:
/// false`; internal ones never), a repeated report, evidence, a survey. Every entry that changes
/// the status is shown too; everything else (`escalate`, `sla_warning`, `sla_breached`,
/// internal comments) is not.
pub const SHOWN_IN_PLACE: [&str; 4] = ["comment", "duplicate_received", "evidence", "survey"];

/// The payload fields an outsider sees of an entry of `action`; none of any other action (an
/// assignment's assignee, a proposal, a rejection's reason, a triage note stay internal).
fn public_fields(action: &str) -> &'static [&'static str] {
    match action {
        "receive" => &["channel"],
        "duplicate_received" => &["channel", "description"],
        "triage" => &["reply"],
        "resolve" => &["resolution", "customer_notified_at"],
        "close" => &["resolution_code"],
        "comment" => &["text", "internal"],
        "evidence" => &["evidence_id", "kind"],
        "survey" => &["overall"],
        _ => &[],
    }
}

/// The payload of an entry of `action` as an outsider sees it: only its public fields.
pub fn public_payload(action: &str, payload: &Value) -> Value {
    let fields = public_fields(action);
    let kept: Map<String, Value> = match payload {
        Value::Object(m) => m
            .iter()
            .filter(|(k, _)| fields.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        _ => Map::new(),
    };
    Value::Object(kept)
}

/// The service acting by itself (sweeps, consumers, surveys), as actor and as role.
pub const SYSTEM: &str = "system";

/// The role `who` acts in, as the history records it: `system` for the service itself (which
/// acts as an admin, under the actor `system`).
pub fn role_of(who: &Principal) -> &'static str {
    if who.sub == SYSTEM {
        SYSTEM
    } else {
        who.role.as_str()
    }
}

/// Who acted, as an outsider reads it: `staff` (admins, managers, supervisors, agents,
/// analysts), `merchant`, `customer` or `system` — never a user id or a phone hash. `role` is
/// the role recorded with the entry; entries recorded before roles were have none, and their
/// actor says what it can (the gateway's `customer:<phone hash>` and `api_key:<id>`; a user id
/// or a client is taken for staff).
pub fn public_actor(actor: &str, role: Option<&str>) -> &'static str {
    match role {
        Some(SYSTEM) => SYSTEM,
        Some("merchant") => "merchant",
        Some("customer") => "customer",
        Some("operator") => "operator",
        Some("app") => "app",
        Some(_) => "staff",
        None if actor == SYSTEM => SYSTEM,
        None if actor.starts_with("customer:") => "customer",
        None if actor.starts_with("api_key:") => "merchant",
        None => "staff",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn outsiders_see_the_reply_and_the_resolution_but_no_note_proposal_or_reason() {
        let triage = json!({"category": "delay", "priority": "high", "reasonable": true,
            "note": "INTERNAL: courier has 3 prior warnings", "reply": "We are on it."});
        assert_eq!(
            public_payload("triage", &triage),
            json!({"reply": "We are on it."})
        );
        let proposal = json!({"measures": ["penalty"], "plan": "fine courier 200",
            "compensation": {"amount": "15.00", "currency": "CNY"}, "report": {"content": "c"}});
        assert_eq!(public_payload("propose", &proposal), json!({}));
        assert_eq!(
            public_payload("reject", &json!({"reason": "too generous"})),
            json!({})
        );
        assert_eq!(
            public_payload(
                "assign",
                &json!({"assignee_id": "u", "department": "legal"})
            ),
            json!({})
        );
        assert_eq!(
            public_payload("resolve", &json!({"resolution": "refunded", "extra": 1})),
            json!({"resolution": "refunded"})
        );
        assert_eq!(
            public_payload(
                "close",
                &json!({"resolution_code": "refunded", "root_cause": "training"})
            ),
            json!({"resolution_code": "refunded"})
        );
        assert_eq!(public_payload("receive", &Value::Null), json!({}));
    }

    #[test]
    fn the_actor_is_a_role_never_an_id_or_a_phone_hash() {
        assert_eq!(public_actor("0193-user", Some("agent")), "staff");
        assert_eq!(public_actor("0193-user", Some("supervisor")), "staff");
        assert_eq!(public_actor("customer:abc", Some("customer")), "customer");
        assert_eq!(public_actor("client:1", Some("merchant")), "merchant");
        assert_eq!(public_actor(SYSTEM, Some(SYSTEM)), SYSTEM);
        assert_eq!(
            public_actor(SYSTEM, None),
            SYSTEM,
            "recorded before roles were"
        );
        assert_eq!(public_actor("customer:abc", None), "customer");
        assert_eq!(public_actor("api_key:1", None), "merchant");
        assert_eq!(public_actor("0193-user", None), "staff");
    }
}
