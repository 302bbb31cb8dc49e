//! Opening a case: resolve the shipment, deduplicate, derive the priority (key accounts one
//! level up), number the case, compute its deadlines, record it and announce it.

use chrono::{DateTime, Duration, Utc};
use diesel::PgConnection;
use kuaidi_shared::auth::{Principal, Role};
use kuaidi_shared::clock::new_id;
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::ApiError;
use uuid::Uuid;

use crate::configuration::Rules;
use crate::db::complaints::{self as repo, ComplaintRow};
use crate::db::customers;
use crate::db::shipments::{self, ShipmentRow};
use crate::domain::intake::{
    case_number, dedup_since, derive_priority, fast_lane, parcel_of_customer, Intake,
};
use crate::domain::sla::{deadlines, Calendar};
use crate::domain::vocab::{COMPLAINT, RECEIVED};
use crate::events::emit::{received, Emitter};

/// Window in which an earlier case on the same shipment makes a new one a repeat (+1 priority).
const REPEAT_WINDOW_DAYS: i64 = 30;

/// What intake did.
pub enum Opened {
    New(ComplaintRow),
    /// The report repeats this open case; nothing new was opened.
    Existing(ComplaintRow),
}

/// The intake transaction.
pub fn open_case(
    conn: &mut PgConnection,
    intake: &Intake,
    who: &Principal,
    ctx: &RequestContext,
    now: DateTime<Utc>,
    rules: &Rules,
) -> Result<Opened, ApiError> {
    let shipment = match &intake.tracking_number {
        Some(tn) => shipments::find(conn, tn)?,
        None => None,
    };
    // An end customer's own files: those holding the phone their token names.
    let own = match (who.role, who.phone_hash.as_deref()) {
        (Role::Customer, Some(hash)) => customers::PHONES.ids_by_phone(conn, hash)?,
        _ => Vec::new(),
    };
    let merchant_id = merchant_of(who, intake, shipment.as_ref(), &own)?;
    if let Some(c) = intake.customer_id {
        // Another tenant's customer is not there for this merchant (and its stats stay clean);
        // an end customer may name only their own file.
        let theirs = match (who.role, who.merchant_id) {
            (Role::Merchant, Some(m)) => customers::TENANTS.belongs_to(conn, c, m)?,
            (Role::Merchant, None) => false,
            (Role::Customer, _) => own.contains(&c),
            _ => true,
        };
        if !theirs {
            return Err(ApiError::NotFound("customer"));
        }
    }
    let customer_id = match intake.customer_id {
        Some(c) => Some(c),
        None => customer_of(conn, who, shipment.as_ref(), &own)?,
    };
    // Whose earlier report this one may repeat: the file's, an end customer's without one, or
    // with no customer at all anyone's on the same parcel and problem.
    let reporter = match (customer_id, who.role, who.phone_hash.as_deref()) {
        (Some(c), _, _) => repo::Reporter::File(c),
        (None, Role::Customer, Some(hash)) => repo::Reporter::Phone(hash),
        _ => repo::Reporter::Anyone,
    };
    if let (Some(tn), Some(cat)) = (&intake.tracking_number, &intake.category) {
        repo::lock_intake(conn, tn, cat)?;
        let since = dedup_since(now, rules.intake.dedup_window_hours);
        // Only a case the caller may read: a recipient's report is not folded into the
        // shipper's case (nor a customer's into one another person opened in the app).
        let mut visible = None;
        for candidate in repo::open_duplicates(conn, reporter, tn, cat, since)? {
            if repo::visible_to(conn, who, &candidate)? {
                visible = Some(candidate);
                break;
            }
        }
        if let Some(open) = visible {
            // The repeat contact is kept on the open case: what was said is not lost.
            repo::record(
                conn,
                repo::Entry {
                    complaint_id: open.id,
                    actor: &who.sub,
                    actor_role: crate::db::history::role_of(who),
                    action: "duplicate_received",
                    from: Some(&open.status),
                    to: &open.status,
                    payload: serde_json::json!({
                        "channel": intake.channel,
                        "description": intake.description,
                    }),
                    at: now,
                },
            )?;
            return Ok(Opened::Existing(open));
        }
    }
    // SPEC §6 "repeat complaint": a complaint after an earlier complaint on the same parcel;
    // praise, suggestions and inquiries neither count as the earlier one nor are raised.
    let repeat = match &intake.tracking_number {
        Some(tn) if intake.type_ == COMPLAINT => repo::complaint_on_tracking_number_since(
            conn,
            tn,
            now - Duration::days(REPEAT_WINDOW_DAYS),
        )?,
        _ => false,
    };
    let key_account = match customer_id {
        Some(c) => customers::is_key_account(conn, c)?,
        None => false,
    };
    let priority = fast_lane(
        intake.priority.unwrap_or_else(|| {
            derive_priority(intake.category.as_deref(), &intake.channel, repeat)
        }),
        key_account,
    );
    let category = intake
        .category
        .as_deref()
        .unwrap_or(super::sla::UNCATEGORISED);
    let (fr, res, cal) = repo::policy(conn, category, priority.as_str())?
        .ok_or_else(|| anyhow::anyhow!("no SLA policy for {category}/{}", priority.as_str()))?;
    let cal: Calendar = super::sla::calendar(cal);
    let d = deadlines(now, fr, res, &cal, &[], rules.sla.warn_percent);
    // Numbered last: the day's counter row stays locked until commit.
    let day = now.date_naive();
    let number = case_number(day, repo::next_number(conn, day)?);
    let row = ComplaintRow {
        id: new_id(),
        number,
        type_: intake.type_.clone(),
        channel: intake.channel.clone(),
        customer_id,
        tracking_number: intake.tracking_number.clone(),
        merchant_id,
        category: intake.category.clone(),
        priority: priority.as_str().to_owned(),
        description: intake.description.clone(),
        reasonable: None,
        department: None,
        assignee_id: None,
        escalation_level: 0,
        status: RECEIVED.into(),
        first_response_due: d.first_response_due,
        resolution_due: d.resolution_due,
        first_responded_at: None,
        root_cause: None,
        resolution: None,
        satisfaction: None,
        created_at: now,
        updated_at: now,
        version: 1,
        duplicate_of: None,
        proactive: intake.proactive,
        reporter_phone_hash: (who.role == Role::Customer)
            .then(|| who.phone_hash.clone())
            .flatten(),
        resolution_code: None,
        proposal: None,
        first_response_warn_at: d.first_response_warn_at,
        resolution_warn_at: d.resolution_warn_at,
        sla_flags: 0,
    };
    repo::insert(conn, &row)?;
    repo::record(
        conn,
        repo::Entry {
            complaint_id: row.id,
            actor: &who.sub,
            actor_role: crate::db::history::role_of(who),
            action: "receive",
            from: None,
            to: RECEIVED,
            payload: serde_json::json!({
                "channel": row.channel,
                "priority": row.priority,
                "priority_derived": intake.priority.is_none(),
                "key_account": key_account,
                "proactive": row.proactive,
            }),
            at: now,
        },
    )?;
    let mut em = Emitter::new(ctx, now);
    em.push(
        row.id,
        &received(&row, shipment.map(|s| s.destination_city)),
    );
    em.flush(conn)?;
    Ok(Opened::New(row))
}

/// The customer file of a case that names none. An end customer's case is their own (SPEC
/// §4: their complaints are on their timeline): on the file of theirs that sent the parcel, else
/// on their own file — the one the customers service answers their token with — whether or not
/// a parcel is named, never on the shipper's file of a parcel sent to them; none when no file
/// holds their phone. Anyone else's case about a parcel is on the shipper's file, or its
/// survivor if it was merged away since.
fn customer_of(
    conn: &mut PgConnection,
    who: &Principal,
    shipment: Option<&ShipmentRow>,
    own: &[Uuid],
) -> Result<Option<Uuid>, ApiError> {
    let shipper = match shipment.and_then(|s| s.shipper_customer_id) {
        Some(s) => Some(customers::PHONES.current_id(conn, s)?),
        None => None,
    };
    Ok(match (who.role, who.phone_hash.as_deref()) {
        (Role::Customer, Some(hash)) => match shipper {
            Some(s) if own.contains(&s) => Some(s),
            _ => customers::own_file(conn, hash)?,
        },
        (Role::Customer, None) => None,
        _ => shipper,
    })
}

/// The merchant a case belongs to: the shipment's. A merchant may only name its own shipment,
/// an end customer only a parcel sent to them or by one of their files (`own`), or none (a
/// case without a parcel has no merchant); another's, or one this service has not heard of, is
/// a 404 (never a 403 that leaks it). The merchant named in the body counts only for staff,
/// when no known shipment says whose the case is; a merchant naming another merchant is a 404
/// (its cases are its own), an end customer's is ignored.
fn merchant_of(
    who: &Principal,
    intake: &Intake,
    shipment: Option<&ShipmentRow>,
    own: &[Uuid],
) -> Result<Option<Uuid>, ApiError> {
    let (merchant, named) = (shipment.and_then(|s| s.merchant_id), intake.merchant_id);
    let theirs = match who.role {
        Role::Merchant => merchant.is_some() && merchant == who.merchant_id,
        Role::Customer => match shipment {
            Some(s) => parcel_of_customer(
                who.phone_hash.as_deref(),
                s.recipient_phone_hash.as_deref(),
                s.shipper_customer_id,
                own,
            ),
            None => intake.tracking_number.is_none(),
        },
        _ => true,
    };
    if !theirs {
        return Err(ApiError::NotFound("shipment"));
    }
    Ok(match who.role {
        Role::Merchant if named.is_some_and(|m| Some(m) != who.merchant_id) => {
            return Err(ApiError::NotFound("merchant"))
        }
        Role::Merchant | Role::Customer => merchant,
        _ => merchant.or(named),
    })
}
