//! `POST /api/v1/customers`.

use actix_web::http::header::LOCATION;
use actix_web::HttpResponse;
use chrono::{DateTime, Utc};
use kuaidi_shared::auth::Principal;
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::clock::new_id;
use kuaidi_shared::db;
use kuaidi_shared::events::Outbox;
use kuaidi_shared::extract::{Json, Query};
use kuaidi_shared::openapi::{InvalidFields, NoValidToken};
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::ApiError;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::api::care::changes;
use crate::api::customers::{ConsentState, CreateCustomer, Customer};
use crate::api::problems::{DuplicateCustomer, MayNotCreateCustomers};
use crate::db::consents as consent_history;
use crate::db::customers::{self as repo, CustomerRow};
use crate::domain::enums::Purpose;
use crate::domain::new_customer::NewCustomer;
use crate::events::emit::Emitter;
use crate::routes::customers::view;
use crate::workflow::{access, profile};
use kuaidi_shared::deps::Deps;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CreateParams {
    /// Create even when the phone, email or credit code matches an existing customer.
    #[serde(default)]
    pub allow_duplicate: bool,
}

/// Opens a customer file and emits `customer.created`. A phone, email or credit code that
/// already belongs to a customer is a `409` naming the match, unless `allow_duplicate=true`.
/// An agent who names no `owner_id` becomes the owner; an agent naming anyone else as
/// `owner_id` is a `403` (agents write only their own and unowned customers). `consents`
/// (optional) records consents with the file, as `PUT /customers/{id}/consents` does.
/// `birthday` and `family` are stored only when `consents` grants `profile_extras`: otherwise
/// the file is created without them (they answer `null`); a malformed birthday is still a
/// `422`. Birthday care within the care job's lead (with `care_messages` consent) is planned
/// at once. Phones, emails, tags and lanes given twice are kept once. A `value_tier` sets the
/// tier by hand (admins, managers, supervisors: `403` for others), kept by the classification
/// runs.
#[utoipa::path(post, path = "/api/v1/customers", tag = "customers", params(CreateParams),
    request_body = CreateCustomer,
    responses((status = 201, description = "Created; `Location` names the customer", body = Customer),
        NoValidToken, MayNotCreateCustomers, DuplicateCustomer, InvalidFields))]
pub async fn create_customer(
    caller: Authorized<caps::CustomersWrite>,
    ctx: RequestContext,
    params: Query<CreateParams>,
    body: Json<CreateCustomer>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    // To the microsecond PostgreSQL keeps: the answer (and its ETag) is what a read gives.
    let (pii, now) = (deps.pii.clone(), deps.clock.now_micros());
    access::staff_only(&caller)?;
    let (new, consents) = validated(body.into_inner(), &caller, now)?;
    if new.value_tier.is_some() {
        access::may_set_tier(&caller, &["value_tier".into()])?;
    }
    access::may_set_owner(&caller, None, new.owner_id)?;
    let digests = profile::digests(&new, &pii);
    let phone_hashes: Vec<String> = digests
        .iter()
        .filter(|(kind, _)| *kind == "phone")
        .map(|(_, digest)| digest.clone())
        .collect();
    let mut row = CustomerRow::blank(new_id(), now);
    profile::apply(&mut row, &new, &pii)?;
    let history = profile::record_consents(&mut row, consents, &caller.sub)?;
    let allow_duplicate = params.allow_duplicate;
    let (pii2, who) = (pii.clone(), caller.principal.clone());
    let body = db::transaction(&deps.pool, move |conn| {
        if !allow_duplicate {
            let matches = repo::matching(conn, &digests, None)?;
            if !matches.is_empty() {
                return Err(duplicate(&matches));
            }
        }
        repo::insert(conn, &row, &digests)?;
        consent_history::record(conn, &history)?;
        profile::care_at_once(conn, &row, now, &pii2)?;
        let event = Emitter { ctx: &ctx, now }.created(&row, phone_hashes.clone());
        Outbox::enqueue(conn, &event)?;
        view::full_view(conn, &row, now, &pii2, &who)
    })
    .await?;
    deps.outbox.wake();
    let mut resp = HttpResponse::Created()
        .insert_header((LOCATION, format!("/api/v1/customers/{}", body.id)))
        .insert_header(super::etag_header(&body))
        .json(&body);
    super::mark_unmasked(&mut resp, &caller, &[&body]);
    Ok(resp)
}

/// The profile validated, owned by an agent creator by default, and the consents given with
/// it (`profile_extras` among them lets birthday and family be kept); every error at once.
fn validated(
    mut req: CreateCustomer,
    caller: &Principal,
    now: DateTime<Utc>,
) -> Result<(NewCustomer, Vec<(Purpose, ConsentState)>), ApiError> {
    let given = req.consents.take().unwrap_or_default();
    let consents = changes("consents.", given, now);
    let extras_ok = consents.as_ref().is_ok_and(|c| {
        c.iter()
            .any(|(p, state)| *p == Purpose::ProfileExtras && state.granted)
    });
    match (NewCustomer::parse(req, extras_ok), consents) {
        (Ok(new), Ok(consents)) => Ok((new.owned_by_default(caller), consents)),
        (Err(ApiError::Validation(mut a)), Err(ApiError::Validation(b))) => {
            a.extend(b);
            Err(ApiError::Validation(a))
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    }
}

/// The `409 duplicate_customer` problem naming the matches: one entry per customer, its
/// `matched_on` every kind that matched it (`["email", "phone"]`), as the duplicates list
/// answers pairs.
pub fn duplicate(matches: &[(Uuid, String)]) -> ApiError {
    use std::collections::{BTreeMap, BTreeSet};
    let mut by_customer: BTreeMap<Uuid, BTreeSet<&str>> = BTreeMap::new();
    for (id, on) in matches {
        by_customer.entry(*id).or_default().insert(on);
    }
    let listed: Vec<serde_json::Value> = by_customer
        .into_iter()
        .map(|(id, on)| serde_json::json!({"customer_id": id, "matched_on": on}))
        .collect();
    let mut ext = serde_json::Map::new();
    ext.insert("matches".into(), serde_json::Value::Array(listed));
    ApiError::ConflictWith {
        code: "duplicate_customer",
        detail: "a customer with the same phone, email or credit code exists; pass allow_duplicate=true to save anyway".into(),
        extensions: ext,
    }
}
