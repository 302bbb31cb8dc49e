//! A KPI query as the domain knows it: the reporting range and the filters, valid by
//! construction (the query text is parsed into it by `api::query`).

use chrono::NaiveDate;
use chrono_tz::Tz;
use kuaidi_shared::auth::{Principal, Role};
use kuaidi_shared::{ApiError, FieldError};
use uuid::Uuid;

use super::periods::{periods, Granularity, Period};

/// The longest report, in periods (rows): 400 days by day, 400 weeks by week, 400 months by
/// month.
pub const MAX_PERIODS: i64 = 400;

/// Days a report covers when `from` is not given: 30, ending on `to`.
pub const DEFAULT_DAYS: u64 = 30;

/// Validated `from..=to` (inclusive) and granularity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub granularity: Granularity,
}

impl ReportRange {
    /// Checks `from <= to` and the [`MAX_PERIODS`] limit; the error names the field.
    pub fn new(
        from: NaiveDate,
        to: NaiveDate,
        granularity: Granularity,
    ) -> Result<Self, FieldError> {
        if from > to {
            return Err(FieldError::new("from", "must not be after `to`"));
        }
        let n = granularity.count(from, to);
        if n > MAX_PERIODS {
            return Err(FieldError::new(
                "from",
                format!(
                    "the range may cover at most {MAX_PERIODS} {g}s at {g} granularity; it covers {n}",
                    g = granularity.as_str()
                ),
            ));
        }
        Ok(Self {
            from,
            to,
            granularity,
        })
    }

    /// The rows of the report: every whole period overlapping `from..=to`.
    pub fn periods(&self) -> Vec<Period> {
        periods(self.from, self.to, self.granularity)
    }

    /// The first and last day the rows cover (whole periods, so possibly beyond `from..=to`).
    pub fn days(&self) -> (NaiveDate, NaiveDate) {
        (
            self.granularity.start_of(self.from),
            self.granularity.end_of(self.to),
        )
    }
}

/// What the rows are restricted to. `None` is "any".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KpiFilter {
    pub merchant_id: Option<Uuid>,
    pub city: Option<String>,
    pub province: Option<String>,
    pub service_level: Option<String>,
    pub value_tier: Option<String>,
    /// An agent's own cases (set from the token, never from the query).
    pub handler_id: Option<Uuid>,
}

/// A KPI query ready to run: local days of `tz`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KpiRequest {
    pub range: ReportRange,
    pub filter: KpiFilter,
    pub tz: Tz,
}

impl KpiRequest {
    /// The filter as a key of remembered figures (the zone and granularity apart).
    pub fn filter_key(&self) -> String {
        let f = &self.filter;
        serde_json::json!([
            f.merchant_id,
            f.city,
            f.province,
            f.service_level,
            f.value_tier,
            f.handler_id
        ])
        .to_string()
    }

    /// Confines the request to what the caller may see: a merchant its own figures whatever
    /// `merchant_id` says, an agent the cases they handle.
    pub fn confine(&mut self, caller: &Principal) -> Result<(), ApiError> {
        match caller.role {
            Role::Merchant => {
                // NOTE: tenant isolation: its own figures, never a 403 revealing another.
                let own = caller.merchant_id.ok_or_else(|| {
                    ApiError::Forbidden("merchant token without merchant_id".into())
                })?;
                self.filter.merchant_id = Some(own);
            }
            Role::Agent => {
                let own = caller
                    .user_id()
                    .ok_or_else(|| ApiError::Forbidden("agent token without a user id".into()))?;
                self.filter.handler_id = Some(own);
            }
            _ => {}
        }
        Ok(())
    }
}
