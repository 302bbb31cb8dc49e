//! RFC 9457 `application/problem+json` errors. Every service answers errors through [`ApiError`];
//! 5xx bodies are generic and the cause goes to the log, never to the client.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One invalid field of a request.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    /// Dotted path of the field, e.g. `recipient.phone`.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// The problem document (RFC 9457) every error response carries.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "type": "https://kuaidi.dev/problems/validation_failed",
    "title": "Validation failed",
    "status": 422,
    "detail": "2 fields are invalid",
    "instance": "/api/v1/shipments",
    "code": "validation_failed",
    "errors": [{"field": "weight_kg", "message": "must be greater than 0"}]
}))]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Stable snake_case identifier of the problem, for programs.
    pub code: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// The request id, to quote when asking for support.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Problem-specific members (e.g. `matches` of a duplicate customer).
    #[serde(flatten, default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub extensions: serde_json::Map<String, serde_json::Value>,
}

pub const PROBLEM_JSON: &str = "application/problem+json";

/// Every error a Kuaidi service returns.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("malformed request: {0}")]
    BadRequest(String),
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("authentication required: {0}")]
    Unauthorized(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    /// `405`: the path exists, not for this method; `allow` lists those it takes (the `Allow`
    /// header).
    #[error("{method} is not allowed here; allowed: {allow}")]
    MethodNotAllowed { method: String, allow: String },
    #[error("conflict: {detail}")]
    Conflict { code: &'static str, detail: String },
    /// A conflict whose problem document carries extension members.
    #[error("conflict: {detail}")]
    ConflictWith {
        code: &'static str,
        detail: String,
        extensions: serde_json::Map<String, serde_json::Value>,
    },
    #[error("precondition failed")]
    PreconditionFailed,
    /// `410`: was here, and is no more (a used or expired link).
    #[error("{0}")]
    Gone(String),
    /// `413`: the body is larger than this resource takes.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// `415`: a content type this resource does not take.
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("unprocessable: {detail}")]
    Unprocessable { code: &'static str, detail: String },
    #[error("rate limited")]
    TooManyRequests { retry_after_secs: u64, limit: u32 },
    #[error("bad gateway: {0}")]
    BadGateway(String),
    #[error("gateway timeout: {0}")]
    GatewayTimeout(String),
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            detail: detail.into(),
        }
    }

    /// Stable snake_case code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad_request",
            Self::Validation(_) => "validation_failed",
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::MethodNotAllowed { .. } => "method_not_allowed",
            Self::Conflict { code, .. }
            | Self::ConflictWith { code, .. }
            | Self::Unprocessable { code, .. } => code,
            Self::PreconditionFailed => "precondition_failed",
            Self::Gone(_) => "gone",
            Self::PayloadTooLarge(_) => "payload_too_large",
            Self::UnsupportedMediaType(_) => "unsupported_media_type",
            Self::TooManyRequests { .. } => "rate_limited",
            Self::BadGateway(_) => "bad_gateway",
            Self::GatewayTimeout(_) => "gateway_timeout",
            Self::Unavailable(_) => "service_unavailable",
            Self::Internal(_) => "internal_error",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "Malformed request",
            Self::Validation(_) => "Validation failed",
            Self::Unauthorized(_) => "Authentication required",
            Self::Forbidden(_) => "Forbidden",
            Self::NotFound(_) => "Not found",
            Self::MethodNotAllowed { .. } => "Method not allowed",
            Self::Conflict { .. } | Self::ConflictWith { .. } => "Conflict",
            Self::PreconditionFailed => "Precondition failed",
            Self::Gone(_) => "Gone",
            Self::PayloadTooLarge(_) => "Payload too large",
            Self::UnsupportedMediaType(_) => "Unsupported media type",
            Self::Unprocessable { .. } => "Unprocessable request",
            Self::TooManyRequests { .. } => "Too many requests",
            Self::BadGateway(_) => "Bad gateway",
            Self::GatewayTimeout(_) => "Gateway timeout",
            Self::Unavailable(_) => "Service unavailable",
            Self::Internal(_) => "Internal error",
        }
    }

    fn detail(&self) -> String {
        match self {
            Self::Validation(errors) => match errors.len() {
                1 => "1 field is invalid".to_owned(),
                n => format!("{n} fields are invalid"),
            },
            Self::PreconditionFailed => {
                "the resource changed since the version named in If-Match".to_owned()
            }
            Self::TooManyRequests {
                retry_after_secs, ..
            } => {
                format!("rate limit exceeded; retry after {retry_after_secs} s")
            }
            // NOTE: never the cause of a 5xx: it may hold SQL text or internals.
            Self::Internal(_) => "an unexpected error occurred; it has been logged".to_owned(),
            Self::Unavailable(_) => "a dependency is unavailable; retry later".to_owned(),
            other => other.to_string(),
        }
    }

    /// The problem document for this error.
    pub fn to_problem(&self, instance: Option<String>, request_id: Option<String>) -> Problem {
        Problem {
            type_: format!("https://kuaidi.dev/problems/{}", self.code()),
            title: self.title().to_owned(),
            status: self.status_code().as_u16(),
            detail: self.detail(),
            instance,
            code: self.code().to_owned(),
            errors: match self {
                Self::Validation(errors) => errors.clone(),
                _ => Vec::new(),
            },
            request_id,
            extensions: match self {
                Self::ConflictWith { extensions, .. } => extensions.clone(),
                _ => serde_json::Map::new(),
            },
        }
    }
}

/// Whether an `Internal` error (work written with `anyhow`) is a lost database connection or
/// an unreachable database: that is unavailability (`503`, retry later), not a bug.
fn lost_database(e: &anyhow::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    e.chain().any(|cause| {
        matches!(
            cause.downcast_ref::<Error>(),
            Some(Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                _
            ))
        ) || cause.downcast_ref::<r2d2_error::PoolError>().is_some()
    })
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        if let Self::Internal(e) = self {
            if lost_database(e) {
                return StatusCode::SERVICE_UNAVAILABLE;
            }
        }
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Validation(_) | Self::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict { .. } | Self::ConflictWith { .. } => StatusCode::CONFLICT,
            Self::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            Self::Gone(_) => StatusCode::GONE,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::BadGateway(_) => StatusCode::BAD_GATEWAY,
            Self::GatewayTimeout(_) => StatusCode::GATEWAY_TIMEOUT,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Internal(e) = self {
            if lost_database(e) {
                tracing::warn!(error = %e, "database connection lost");
                return Self::Unavailable("database connection lost".into()).error_response();
            }
        }
        // The request path and id are filled in by `crate::request::problem_details` middleware,
        // which sees the request; here only the body is built.
        if self.status_code().is_server_error() {
            tracing::error!(error = ?self, "request failed");
        }
        let mut resp = HttpResponse::build(self.status_code());
        resp.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        match self {
            Self::TooManyRequests {
                retry_after_secs,
                limit,
            } => {
                resp.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
                resp.insert_header(("ratelimit-limit", limit.to_string()));
                resp.insert_header(("ratelimit-remaining", "0"));
                resp.insert_header(("ratelimit-reset", retry_after_secs.to_string()));
            }
            Self::Unavailable(_) => {
                resp.insert_header((header::RETRY_AFTER, "5"));
            }
            Self::Unauthorized(_) => {
                resp.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            Self::MethodNotAllowed { allow, .. } => {
                resp.insert_header((header::ALLOW, allow.as_str()));
            }
            _ => {}
        }
        resp.json(self.to_problem(None, None))
    }
}

/// What [`ApiError::Unavailable`] says of a transaction PostgreSQL refused to serialise.
pub const SERIALIZATION_FAILURE: &str = "serialization failure";
/// What [`ApiError::Unavailable`] says of a transaction PostgreSQL gave up in a deadlock.
pub const DEADLOCK: &str = "deadlock detected";

impl ApiError {
    /// Whether this is a transaction that lost a conflict with another (a deadlock or a
    /// serialization failure) and may simply be run again.
    pub fn lost_a_conflict(&self) -> bool {
        matches!(self, Self::Unavailable(m) if m == SERIALIZATION_FAILURE || m == DEADLOCK)
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => Self::NotFound("resource"),
            // The constraint's name is the schema's, not the API's (SPEC §2: no SQL in a
            // response): it goes to the log. A handler that can say which field clashed checks
            // for it itself and answers its own conflict.
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                tracing::info!(
                    constraint = info.constraint_name().unwrap_or("?"),
                    table = info.table_name().unwrap_or("?"),
                    "unique violation answered 409"
                );
                Self::Conflict {
                    code: "already_exists",
                    detail: "a resource with the same key already exists".into(),
                }
            }
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
                Self::Unavailable(SERIALIZATION_FAILURE.into())
            }
            // SQLSTATE 40P01, which diesel does not name: PostgreSQL gave this transaction up
            // to let another go on. Retryable, as a serialization failure is: a 503, not a 500.
            Error::DatabaseError(DatabaseErrorKind::Unknown, ref info)
                if info.message().starts_with("deadlock detected") =>
            {
                Self::Unavailable(DEADLOCK.into())
            }
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _)
            | Error::DatabaseError(DatabaseErrorKind::UnableToSendCommand, _) => {
                Self::Unavailable("database connection lost".into())
            }
            other => Self::Internal(other.into()),
        }
    }
}

impl From<r2d2_error::PoolError> for ApiError {
    fn from(e: r2d2_error::PoolError) -> Self {
        tracing::warn!(error = %e, "database pool exhausted or unreachable");
        Self::Unavailable("database".into())
    }
}

mod r2d2_error {
    pub use diesel::r2d2::PoolError;
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        Self::Internal(anyhow::anyhow!("blocking task failed: {e}"))
    }
}

#[cfg(test)]
#[path = "problem_tests.rs"]
mod tests;
