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

kuaidi_shared::vocabulary! {
    /// The service levels shipments are created with (the shipments service's vocabulary, SPEC
    /// §5): the values `?service_level=` may name.
    pub enum ServiceLevel {
        Standard,
        Express,
        SameDay,
        Scheduled,
        ColdChain,
        International,
    }

    /// The value tiers of customers (the customers service's vocabulary, SPEC §4): the values
    /// `?value_tier=` may name.
    pub enum ValueTier {
        Key,
        Ordinary,
        Small,
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
    /// The local day of `tz` the request was made on (the service clock's): a period starting
    /// after it has no data yet.
    pub today: NaiveDate,
}

impl KpiRequest {
    /// Whether `period` has begun by the request's day.
    pub fn started(&self, period: &Period) -> bool {
        period.start <= self.today
    }

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

    /// Confines the request to what the caller may see: a merchant its own figures (naming
    /// another merchant is a `404`, as for any other tenant's resource), an agent the cases
    /// they handle.
    pub fn confine(&mut self, caller: &Principal) -> Result<(), ApiError> {
        match caller.role {
            Role::Merchant => {
                // NOTE: tenant isolation: another merchant's figures do not exist for it (404,
                // never a 403 revealing them).
                let own = caller.merchant_id.ok_or_else(|| {
                    ApiError::Forbidden("merchant token without merchant_id".into())
                })?;
                if self.filter.merchant_id.is_some_and(|m| m != own) {
                    return Err(ApiError::NotFound("merchant"));
                }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(role: Role, merchant_id: Option<Uuid>) -> Principal {
        Principal {
            sub: Uuid::now_v7().to_string(),
            role,
            scopes: Vec::new(),
            merchant_id,
            phone_hash: None,
            issued_at: 0,
        }
    }

    fn request(merchant_id: Option<Uuid>) -> KpiRequest {
        let day = NaiveDate::from_ymd_opt(2026, 11, 25).expect("day");
        KpiRequest {
            range: ReportRange::new(day, day, Granularity::Day).expect("range"),
            filter: KpiFilter {
                merchant_id,
                ..KpiFilter::default()
            },
            tz: Tz::UTC,
            today: day,
        }
    }

    #[test]
    fn a_merchant_naming_another_merchant_finds_nothing_and_naming_itself_or_none_its_own() {
        let (own, other) = (Uuid::now_v7(), Uuid::now_v7());
        let caller = principal(Role::Merchant, Some(own));
        let mut theirs = request(Some(other));
        assert!(matches!(
            theirs.confine(&caller),
            Err(ApiError::NotFound(_))
        ));
        for asked in [Some(own), None] {
            let mut mine = request(asked);
            mine.confine(&caller).expect("its own figures");
            assert_eq!(mine.filter.merchant_id, Some(own));
        }
    }

    #[test]
    fn staff_may_name_any_merchant() {
        let other = Uuid::now_v7();
        let mut r = request(Some(other));
        r.confine(&principal(Role::Admin, None)).expect("staff");
        assert_eq!(r.filter.merchant_id, Some(other));
    }
}
