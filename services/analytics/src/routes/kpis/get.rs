//! `GET /api/v1/analytics/kpis`.

use actix_web::{web, HttpResponse};
use chrono::{Duration, NaiveDate, Utc};
use kuaidi_shared::auth::Role;
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::db::{self, PgPool};
use kuaidi_shared::problem::Problem;
use kuaidi_shared::{ApiError, FieldError};

use crate::api::kpis::{KpiQuery, KpiReport, KpiRow};
use crate::db::rollup::{self, Filter};
use crate::domain::definitions::DEFINITIONS_VERSION;
use crate::domain::periods::{periods, Granularity};

/// KPIs per period, read from the daily rollups. Merchants see only their own figures.
#[utoipa::path(
    get,
    path = "/api/v1/analytics/kpis",
    tag = "analytics",
    params(KpiQuery),
    responses(
        (status = 200, description = "One row per period, periods without data included", body = KpiReport),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role may not read analytics", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid dates, range or granularity", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_kpis(
    caller: Authorized<caps::Analytics>,
    query: web::Query<KpiQuery>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    // NOTE: agents may see "own stats" (SPEC §3), which needs case assignment figures that do
    // not exist yet; until then they are refused rather than shown everyone's.
    if caller.role == Role::Agent {
        return Err(ApiError::Forbidden(
            "agents' own figures are not available yet".into(),
        ));
    }
    let q = query.into_inner();
    let (from, to, g) = parse_range(&q, Utc::now().date_naive())?;
    let filter =
        Filter {
            merchant_id: match caller.role {
                Role::Merchant => Some(caller.merchant_id.ok_or_else(|| {
                    ApiError::Forbidden("merchant token without merchant_id".into())
                })?),
                _ => q.merchant_id,
            },
            city: q.city,
            province: q.province,
            service_level: q.service_level,
        };
    let sums = db::run(&pool, move |conn| {
        Ok(rollup::sums(conn, g.as_str(), from, to, &filter)?)
    })
    .await?;
    let data = periods(from, to, g)
        .into_iter()
        .map(|p| {
            let s = sums.iter().find(|s| s.period_start == p.start);
            let (shipments, complaints) = s.map(|s| (s.shipments, s.complaints)).unwrap_or((0, 0));
            KpiRow {
                period_start: p.start,
                period_end: p.end,
                shipments,
                complaints,
                complaint_rate_per_10k: rate_per_10k(complaints, shipments),
                ..KpiRow::default()
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(KpiReport {
        data,
        definitions_version: DEFINITIONS_VERSION.into(),
    }))
}

/// complaints / shipments × 10 000, rounded to 2 decimals; `None` without shipments.
pub fn rate_per_10k(complaints: i64, shipments: i64) -> Option<f64> {
    (shipments > 0)
        .then(|| ((complaints as f64) * 10_000.0 / (shipments as f64) * 100.0).round() / 100.0)
}

/// Validates `from`, `to` and `granularity` against `today`.
pub fn parse_range(
    q: &KpiQuery,
    today: NaiveDate,
) -> Result<(NaiveDate, NaiveDate, Granularity), ApiError> {
    let mut errors = Vec::new();
    let date = |field: &str, v: &Option<String>, errors: &mut Vec<FieldError>| match v {
        None => None,
        Some(s) => match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                errors.push(FieldError::new(field, "must be a date YYYY-MM-DD"));
                None
            }
        },
    };
    let to_given = date("to", &q.to, &mut errors);
    let from_given = date("from", &q.from, &mut errors);
    let g = match q.granularity.as_deref().map(Granularity::parse) {
        None => Some(Granularity::Day),
        Some(Some(g)) => Some(g),
        Some(None) => {
            errors.push(FieldError::new("granularity", "must be day, week or month"));
            None
        }
    };
    let to = to_given.unwrap_or(today);
    let from = from_given.unwrap_or(to - Duration::days(29));
    if let Some(g) = g {
        if from > to {
            errors.push(FieldError::new("from", "must not be after `to`"));
        } else if (to - from).num_days() > g.max_span_days() {
            errors.push(FieldError::new(
                "from",
                format!(
                    "the range may span at most {} days at {} granularity",
                    g.max_span_days(),
                    g.as_str()
                ),
            ));
        }
    }
    match (errors.is_empty(), g) {
        (true, Some(g)) => Ok((from, to, g)),
        _ => Err(ApiError::Validation(errors)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(from: Option<&str>, to: Option<&str>, g: Option<&str>) -> KpiQuery {
        KpiQuery {
            from: from.map(Into::into),
            to: to.map(Into::into),
            granularity: g.map(Into::into),
            city: None,
            province: None,
            service_level: None,
            value_tier: None,
            merchant_id: None,
        }
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn defaults_are_the_last_30_days_by_day() {
        let (from, to, g) = parse_range(&q(None, None, None), d("2026-11-25")).expect("valid");
        assert_eq!(
            (from, to, g),
            (d("2026-10-27"), d("2026-11-25"), Granularity::Day)
        );
    }

    #[test]
    fn bad_dates_reversed_ranges_long_ranges_and_unknown_granularities_are_refused() {
        let today = d("2026-11-25");
        assert!(parse_range(&q(Some("2026-13-01"), None, None), today).is_err());
        assert!(parse_range(&q(Some("2026-11-25"), Some("2026-11-01"), None), today).is_err());
        assert!(parse_range(
            &q(Some("2025-01-01"), Some("2026-11-25"), Some("day")),
            today
        )
        .is_err());
        assert!(parse_range(
            &q(Some("2025-01-01"), Some("2026-11-25"), Some("week")),
            today
        )
        .is_ok());
        assert!(parse_range(&q(None, None, Some("hour")), today).is_err());
    }

    #[test]
    fn complaint_rate_is_per_ten_thousand_shipments() {
        assert_eq!(rate_per_10k(1, 3), Some(3333.33));
        assert_eq!(rate_per_10k(0, 10), Some(0.0));
        assert_eq!(rate_per_10k(5, 0), None);
    }
}
