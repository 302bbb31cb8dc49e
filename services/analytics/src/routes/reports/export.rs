//! `GET /api/v1/analytics/export?report=kpis|hotspots|staff|segments&format=csv`.

use actix_web::HttpResponse;
use bytes::Bytes;
use chrono::NaiveDate;
use diesel::PgConnection;
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::clock::Clock;
use kuaidi_shared::deps::Deps;
use kuaidi_shared::extract::Query;
use kuaidi_shared::openapi::NoValidToken;
use kuaidi_shared::{ApiError, FieldError};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::mpsc;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::api::kpis::KpiQuery;
use crate::api::problems::{BadExport, MayNotReadReport, NoSuchMerchant};
use crate::domain::csv::{json_record, record};
use crate::domain::definitions::KPIS;
use crate::domain::query::KpiRequest;
use crate::routes::kpis::get::{kpi_rows, request};
use crate::routes::rights::{merchant_scope, not_merchant};

/// Query of the export: which report, in which format, and the report's own parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `kpis` | `hotspots` | `staff` | `segments` (required: a `422` names it when missing).
    #[param(example = "kpis", required = true)]
    pub report: Option<String>,
    /// `csv` (the default and only format).
    #[param(example = "csv")]
    pub format: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    pub rest: KpiQuery,
}

kuaidi_shared::vocabulary! {
    /// The reports that can be exported.
    enum Report {
        Kpis,
        Hotspots,
        Staff,
        Segments,
    }
}

/// A report as CSV (RFC 4180, UTF-8, CRLF, a header line), with the same parameters and
/// rights as its JSON endpoint, streamed line by line as the rows are produced. `segments`:
/// columns `section,name,customers,customer_share,value,share` (value share), a row per value
/// tier, Pareto point, RFM cell and lifecycle stage.
#[utoipa::path(get, path = "/api/v1/analytics/export", tag = "analytics",
    params(ExportQuery, KpiQuery),
    responses((status = 200, description = "The report as CSV", content_type = "text/csv", body = String),
        NoValidToken, MayNotReadReport, BadExport, NoSuchMerchant))]
pub async fn export(
    caller: Authorized<caps::Analytics>,
    query: Query<ExportQuery>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    let (report, request) = parse(&caller, query.into_inner(), &deps.clock)?;
    // The segments of the merchant the request names (a merchant's own: it is confined).
    let scope = match report {
        Report::Hotspots | Report::Segments => {
            merchant_scope(&caller).map(|_| request.filter.merchant_id)?
        }
        Report::Staff => not_merchant(&caller).map(|()| None)?,
        Report::Kpis => None,
    };
    let (tx, rx) = mpsc::channel::<Bytes>(32);
    let pool = deps.pool.get_ref().clone();
    let today = deps.clock.now().date_naive();
    tokio::task::spawn_blocking(move || {
        let sent = pool
            .get()
            .map_err(anyhow::Error::from)
            .and_then(|mut conn| write(&mut conn, report, &request, (scope, today), &tx));
        if let Err(e) = sent {
            tracing::warn!(error = %e, "export stopped");
        }
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|b| (Ok::<_, std::convert::Infallible>(b), rx))
    });
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "content-disposition",
            format!("attachment; filename=\"{}.csv\"", report.as_ref()),
        ))
        .streaming(body))
}

/// The report and its request, every invalid parameter reported at once.
fn parse(
    caller: &Authorized<caps::Analytics>,
    q: ExportQuery,
    clock: &Clock,
) -> Result<(Report, KpiRequest), ApiError> {
    let mut errors = Vec::new();
    let report = match q.report.as_deref().map(str::trim) {
        None | Some("") => {
            errors.push(FieldError::new(
                "report",
                "required: kpis, hotspots, staff or segments",
            ));
            None
        }
        Some(r) => r
            .parse::<Report>()
            .map_err(|_| {
                errors.push(FieldError::new(
                    "report",
                    "must be kpis, hotspots, staff or segments",
                ));
            })
            .ok(),
    };
    if !matches!(
        q.format.as_deref().map(str::trim),
        None | Some("") | Some("csv")
    ) {
        errors.push(FieldError::new("format", "must be csv"));
    }
    match (request(caller, q.rest, clock), report) {
        (Ok(r), Some(report)) if errors.is_empty() => Ok((report, r)),
        (Err(ApiError::Validation(more)), _) => {
            errors.extend(more);
            Err(ApiError::Validation(errors))
        }
        (Err(other), _) => Err(other),
        (Ok(_), _) => Err(ApiError::Validation(errors)),
    }
}

/// Rows as JSON objects, for [`json_record`].
fn values<'a, T: Serialize + 'a>(
    rows: impl IntoIterator<Item = &'a T>,
) -> serde_json::Result<Vec<Value>> {
    rows.into_iter().map(serde_json::to_value).collect()
}

/// Sends the header and every row of `report` down `tx`, one line at a time; the segments of
/// the customers of `scope` (one merchant's, or everyone's) as of the UTC day `today`.
fn write(
    conn: &mut PgConnection,
    report: Report,
    request: &KpiRequest,
    (scope, today): (Option<Uuid>, NaiveDate),
    tx: &mpsc::Sender<Bytes>,
) -> anyhow::Result<()> {
    let send = |line: String| {
        tx.blocking_send(Bytes::from(line))
            .map_err(|_| anyhow::anyhow!("client went away"))
    };
    let rows = |columns: &[&str], rows: Vec<Value>| -> anyhow::Result<()> {
        send(record(columns))?;
        rows.iter().try_for_each(|r| send(json_record(columns, r)))
    };
    match report {
        Report::Kpis => {
            let mut columns = vec!["period_start", "period_end"];
            columns.extend(KPIS.iter().map(|k| k.name));
            let data = kpi_rows(conn, request).map_err(|e| anyhow::anyhow!("{e}"))?;
            rows(&columns, values(&data)?)
        }
        Report::Hotspots => {
            let h = super::hotspots(crate::db::reports::hotspots(conn, request)?);
            let columns = [
                "category",
                "city",
                "hub",
                "complaints",
                "previous",
                "change",
                "change_rate",
            ];
            rows(&columns, values(h.by_city.iter().chain(&h.by_hub))?)
        }
        Report::Staff => {
            let s = super::staff(crate::db::reports::staff(conn, request)?);
            let columns = [
                "handler_id",
                "cases_closed",
                "median_resolution_hours",
                "first_responses",
                "first_response_sla_rate",
                "surveys",
                "csat_avg",
                "reopened",
                "reopen_rate",
            ];
            rows(&columns, values(&s.data)?)
        }
        Report::Segments => {
            let found = crate::db::segments::segments(conn, scope, today)?;
            let s = crate::routes::segments::segments(found);
            let columns = [
                "section",
                "name",
                "customers",
                "customer_share",
                "value",
                "share",
            ];
            let mut out: Vec<Value> = s
                .value_tiers
                .iter()
                .map(|t| {
                    serde_json::json!({
                "section": "value_tier", "name": t.tier, "customers": t.customers,
                "customer_share": t.customer_share, "value": t.value, "share": t.value_share})
                })
                .collect();
            out.extend(s.pareto.iter().map(|p| {
                serde_json::json!({
                "section": "pareto", "name": p.customer_share,
                "customer_share": p.customer_share, "share": p.value_share})
            }));
            out.extend(s.rfm.iter().map(|c| {
                serde_json::json!({
                "section": "rfm", "customers": c.customers,
                "name": format!("R{}F{}M{}", c.recency_score, c.frequency_score, c.monetary_score)})
            }));
            out.extend(s.lifecycle_stages.iter().map(|st| {
                serde_json::json!({
                "section": "lifecycle_stage", "name": st.stage, "customers": st.customers})
            }));
            rows(&columns, out)
        }
    }
}
