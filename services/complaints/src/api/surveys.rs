//! Survey bodies.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Body of `POST /api/v1/complaints/{id}/survey` and `POST /api/v1/surveys/{token}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"overall": 4, "speed": 3, "effectiveness": 4, "attitude": 5,
    "suggestion": "Call earlier."}))]
pub struct SurveyAnswers {
    /// 1–5.
    #[schema(minimum = 1, maximum = 5)]
    pub overall: i16,
    #[schema(minimum = 1, maximum = 5)]
    pub speed: Option<i16>,
    #[schema(minimum = 1, maximum = 5)]
    pub effectiveness: Option<i16>,
    #[schema(minimum = 1, maximum = 5)]
    pub attitude: Option<i16>,
    pub suggestion: Option<String>,
}

/// A recorded survey.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Survey {
    pub id: Uuid,
    pub complaint_id: Uuid,
    pub overall: i16,
    pub speed: Option<i16>,
    pub effectiveness: Option<i16>,
    pub attitude: Option<i16>,
    pub suggestion: Option<String>,
    /// `agent` | `customer` | `merchant` | `link`.
    pub via: String,
    pub submitted_at: DateTime<Utc>,
    /// Whether the answer reopened the case (overall ≤ 2).
    pub reopened: bool,
}

/// A one-time survey link (`POST /api/v1/complaints/{id}/survey-link`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SurveyLink {
    /// Path of the public survey, e.g. `/api/v1/surveys/<token>`; shown once.
    pub survey_link: String,
    pub expires_at: DateTime<Utc>,
}

/// One question of a survey.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Question {
    pub field: String,
    pub text: String,
}

/// `GET /api/v1/surveys/{token}`: what the customer is asked (no personal data).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SurveyForm {
    /// The case number, e.g. `C2026112400017`.
    pub number: String,
    pub questions: Vec<Question>,
    pub expires_at: DateTime<Utc>,
}
