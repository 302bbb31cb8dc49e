//! Interaction (touchpoint) bodies, the timeline's query, and their validation.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use kuaidi_shared::pagination::{Cursor, PageParams};
use kuaidi_shared::{ApiError, FieldError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::domain::enums::{parse_opt, required, Channel, Direction, InteractionKind};

/// How far ahead of the service clock a logged touchpoint's `occurred_at` may be: a desktop's
/// clock drifts a little, a touchpoint in the future is a typo (the shipments service allows
/// scanners the same).
pub const MAX_AHEAD: Duration = Duration::minutes(5);

/// Body of `POST /api/v1/customers/{id}/interactions`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"channel": "phone", "direction": "in", "kind": "inquiry",
    "summary": "Asked about cold-chain rates to Chengdu"}))]
pub struct CreateInteraction {
    /// `phone` | `sms` | `email` | `app` | `web` | `wechat` | `weibo` | `visit` | `letter` | `other`.
    #[serde(default)]
    #[schema(required = true, value_type = crate::domain::enums::Channel)]
    pub channel: String,
    /// `in` | `out`.
    #[serde(default)]
    #[schema(required = true, value_type = crate::domain::enums::Direction)]
    pub direction: String,
    /// `inquiry` | `care` | `follow_up` | `sales` | `complaint` | `survey` | `notification`.
    #[serde(default)]
    #[schema(required = true, value_type = crate::domain::enums::InteractionKind)]
    pub kind: String,
    /// Required.
    #[serde(default)]
    #[schema(required = true)]
    pub summary: String,
    /// Defaults to the caller.
    #[serde(default)]
    pub staff_id: Option<Uuid>,
    /// Defaults to now; at most 5 minutes ahead of the service's clock.
    #[serde(default)]
    pub occurred_at: Option<DateTime<Utc>>,
}

impl CreateInteraction {
    /// The summary trimmed and the time of the touchpoint (`now` by default, to the
    /// microsecond PostgreSQL keeps), or every invalid field at once.
    pub fn validate(&self, now: DateTime<Utc>) -> Result<(String, DateTime<Utc>), ApiError> {
        let mut errors = Vec::new();
        required::<Channel>(&mut errors, "channel", &self.channel);
        required::<Direction>(&mut errors, "direction", &self.direction);
        required::<InteractionKind>(&mut errors, "kind", &self.kind);
        let summary = self.summary.trim().to_owned();
        if summary.is_empty() || summary.chars().count() > 2000 {
            errors.push(FieldError::new("summary", "must be 1–2000 characters"));
        }
        let occurred_at = self.occurred_at.map_or(now, |t| t.trunc_subsecs(6));
        if occurred_at > now + MAX_AHEAD {
            errors.push(FieldError::new(
                "occurred_at",
                "must not be more than 5 minutes in the future",
            ));
        }
        if errors.is_empty() {
            Ok((summary, occurred_at))
        } else {
            Err(ApiError::Validation(errors))
        }
    }
}

/// A logged touchpoint.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Interaction {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub channel: String,
    pub direction: String,
    pub kind: String,
    pub summary: String,
    pub staff_id: Option<Uuid>,
    pub occurred_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    /// The event it came from (`complaint.closed:<id>`), for logged-by-event interactions.
    pub source: Option<String>,
}

/// Query of `GET /api/v1/customers/{id}/interactions`: the filters (all of them must hold)
/// and the page.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TimelineParams {
    /// Only touchpoints on this channel (`phone`, `sms`, `email`, `app`, `web`, `wechat`,
    /// `weibo`, `visit`, `letter` or `other`).
    #[param(value_type = Option<Channel>, inline, example = "phone")]
    pub channel: Option<String>,
    /// Only touchpoints in this direction, seen from the company (`in` or `out`).
    #[param(value_type = Option<Direction>, inline, example = "in")]
    pub direction: Option<String>,
    /// Only touchpoints of this kind (`inquiry`, `care`, `follow_up`, `sales`, `complaint`,
    /// `survey` or `notification`).
    #[param(value_type = Option<InteractionKind>, inline, example = "inquiry")]
    pub kind: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page (of the same filters).
    #[param(pattern = "^[A-Za-z0-9_-]+$")]
    pub cursor: Option<String>,
}

/// A timeline query, validated.
#[derive(Debug)]
pub struct TimelineQuery {
    pub channel: Option<Channel>,
    pub direction: Option<Direction>,
    pub kind: Option<InteractionKind>,
    pub limit: i64,
    pub cursor: Option<Cursor>,
}

impl TimelineParams {
    /// The filters and the page, or every invalid parameter at once (named as in the query).
    pub fn validate(&self) -> Result<TimelineQuery, ApiError> {
        let mut errors = Vec::new();
        let channel = parse_opt::<Channel>(&mut errors, "channel", self.channel.as_deref());
        let direction = parse_opt::<Direction>(&mut errors, "direction", self.direction.as_deref());
        let kind = parse_opt::<InteractionKind>(&mut errors, "kind", self.kind.as_deref());
        let page = PageParams {
            limit: self.limit,
            cursor: self.cursor.clone(),
        };
        let (limit, cursor) = match page.parse() {
            Ok(parsed) => parsed,
            Err(ApiError::Validation(more)) => {
                errors.extend(more);
                (0, None)
            }
            Err(other) => return Err(other),
        };
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        Ok(TimelineQuery {
            channel,
            direction,
            kind,
            limit,
            cursor,
        })
    }
}
