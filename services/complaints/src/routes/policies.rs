//! `GET` and `PUT /api/v1/sla-policies`.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::db;
use kuaidi_shared::deps::Deps;
use kuaidi_shared::extract::Json;
use kuaidi_shared::http::{content_tag, respond_with_content_tag};
use kuaidi_shared::openapi::NotModified;
use kuaidi_shared::{ApiError, FieldError};
use serde_json::Value;

use crate::api::policies::{PutSlaPolicies, SlaPolicies, SlaPolicy};
use crate::api::problems::{AdminsAndManagersOnly, InvalidRows, MayNotReadCases};
use crate::db::policies::{self as repo, PolicyRow};
use crate::domain::fields::Fields;
use crate::domain::sla::Calendar;
use crate::domain::vocab::{Category, Priority};
use crate::workflow::sla::{calendar, recompute_open};

fn view(version: i32, rows: Vec<PolicyRow>) -> SlaPolicies {
    SlaPolicies {
        version,
        policies: rows
            .into_iter()
            .map(|r| SlaPolicy {
                calendar: r.calendar.map(|c| calendar(Some(c))),
                category: r.category,
                priority: r.priority,
                first_response_minutes: r.first_response_minutes,
                resolution_minutes: r.resolution_minutes,
                version: r.version,
            })
            .collect(),
    }
}

/// The SLA matrix: category × priority → first-response and resolution allowances (minutes)
/// and an optional business calendar. `ETag`: a digest of what is shown; `If-None-Match` → 304.
#[utoipa::path(get, path = "/api/v1/sla-policies", tag = "complaints",
    responses((status = 200, description = "The current policies; `ETag` names what is shown", body = SlaPolicies),
        NotModified, MayNotReadCases))]
pub async fn get_policies(
    req: HttpRequest,
    caller: Authorized<caps::ComplaintsRead>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    crate::routes::complaints::require_staff(&caller)
        .or_else(|_| caller.require(&[kuaidi_shared::auth::Role::Analyst]))?;
    let (version, rows) = db::run(&deps.pool, |conn| {
        Ok((repo::current_version(conn)?, repo::list(conn)?))
    })
    .await?;
    Ok(respond_with_content_tag(&req, &view(version, rows)))
}

/// Replaces the rows given (others stay) as a new version, and recomputes the deadlines of
/// every open case under them from its history. Admins and managers. The answer carries the
/// `ETag` a `GET` would.
#[utoipa::path(put, path = "/api/v1/sla-policies", tag = "complaints", request_body = PutSlaPolicies,
    responses((status = 200, description = "The policies after the change; `ETag` as a `GET` gives", body = SlaPolicies),
        AdminsAndManagersOnly, InvalidRows))]
pub async fn put_policies(
    caller: Authorized<caps::SlaPoliciesWrite>,
    body: Json<Value>,
    deps: Deps,
    rules: web::Data<crate::configuration::Rules>,
) -> Result<HttpResponse, ApiError> {
    let mut rows = parse(body.into_inner())?;
    let (who, now, rules) = (caller.sub.clone(), deps.clock.now_micros(), **rules);
    let (version, rows) = db::transaction(&deps.pool, move |conn| {
        let version = repo::put(conn, &mut rows, &who, now)?;
        let changed: Vec<_> = rows
            .iter()
            .map(|r| (r.category.clone(), r.priority.clone()))
            .collect();
        recompute_open(conn, &changed, now, &rules)?;
        Ok((version, repo::list(conn)?))
    })
    .await?;
    let policies = view(version, rows);
    let etag = header::EntityTag::new_strong(content_tag(&policies));
    Ok(HttpResponse::Ok()
        .insert_header(header::ETag(etag))
        .json(policies))
}

/// `{policies: [...]}`, every row checked, every problem reported (`policies[1].priority`).
fn parse(body: Value) -> Result<Vec<PolicyRow>, ApiError> {
    let mut errors = Vec::new();
    let items = match body.get("policies") {
        Some(Value::Array(items)) if !items.is_empty() => items.clone(),
        _ => {
            return Err(ApiError::validation(
                "policies",
                "must be a non-empty array",
            ))
        }
    };
    let mut rows = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let mut f = Fields::new(always_open(item));
        let category = f.one_of::<Category>("category", true, &Category::listed());
        let priority = f.one_of::<Priority>("priority", true, &Priority::listed());
        let fr = minutes(&mut f, "first_response_minutes");
        let res = minutes(&mut f, "resolution_minutes");
        let cal = f.object("calendar", false).map(|c| c.raw());
        if let Some(c) = &cal {
            match serde_json::from_value::<Calendar>(c.clone()) {
                Ok(parsed) => parsed
                    .problems()
                    .into_iter()
                    .for_each(|p| f.errors.push(FieldError::new("calendar", p))),
                Err(e) => f.errors.push(FieldError::new("calendar", e.to_string())),
            }
        }
        if let (Some(fr), Some(res)) = (fr, res) {
            if res < fr {
                f.errors.push(FieldError::new(
                    "resolution_minutes",
                    "must not be less than first_response_minutes",
                ));
            }
        }
        errors.extend(
            f.errors
                .drain(..)
                .map(|e| FieldError::new(format!("policies[{i}].{}", e.field), e.message)),
        );
        if let (Some(c), Some(p), Some(fr), Some(res)) = (category, priority, fr, res) {
            rows.push(PolicyRow {
                category: c.to_string(),
                priority: p.to_string(),
                first_response_minutes: fr,
                resolution_minutes: res,
                calendar: cal,
                version: 0,
            });
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(ApiError::Validation(errors))
    }
}

fn minutes(f: &mut Fields, name: &str) -> Option<i32> {
    match f.raw().get(name) {
        Some(Value::Number(n)) => match n.as_i64() {
            Some(v @ 1..=525_600) => i32::try_from(v).ok(),
            _ => {
                f.errors.push(FieldError::new(
                    name,
                    "must be a whole number of minutes from 1 to 525600",
                ));
                None
            }
        },
        None | Some(Value::Null) => {
            f.errors.push(FieldError::new(name, "is required"));
            None
        }
        Some(_) => {
            f.errors
                .push(FieldError::new(name, "must be a whole number of minutes"));
            None
        }
    }
}

/// A row whose `calendar` is the text `"24x7"` (or `"24×7"`, `"24/7"`): no calendar, the
/// whole week — the default, said in words.
fn always_open(mut item: serde_json::Value) -> serde_json::Value {
    const WHOLE_WEEK: [&str; 3] = ["24x7", "24×7", "24/7"];
    if let Some(row) = item.as_object_mut() {
        let said = row.get("calendar").and_then(serde_json::Value::as_str);
        if said.is_some_and(|s| WHOLE_WEEK.contains(&s.trim())) {
            row.remove("calendar");
        }
    }
    item
}
