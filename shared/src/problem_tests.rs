//! Unit tests of `problem`: what each error answers, and what it never shows.

use super::*;

#[test]
fn internal_errors_never_leak_their_cause() {
    let err = ApiError::Internal(anyhow::anyhow!("SELECT * FROM secret_table"));
    let p = err.to_problem(None, None);
    assert_eq!(p.status, 500);
    assert!(!p.detail.contains("SELECT"), "cause leaked: {}", p.detail);
}

#[test]
fn a_lost_database_connection_behind_anyhow_is_503_not_500() {
    use diesel::result::{DatabaseErrorKind, Error};
    let lost = Error::DatabaseError(
        DatabaseErrorKind::ClosedConnection,
        Box::new("SSL SYSCALL error: EOF detected".to_owned()),
    );
    let err = ApiError::Internal(anyhow::Error::from(lost).context("period sums"));
    assert_eq!(err.status_code(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        err.error_response().status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    let bug = ApiError::Internal(anyhow::anyhow!("a bug"));
    assert_eq!(bug.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
}

#[test]
fn a_unique_violation_is_a_409_that_names_no_constraint() {
    use diesel::result::{DatabaseErrorInformation, DatabaseErrorKind, Error};
    struct Violation;
    impl DatabaseErrorInformation for Violation {
        fn message(&self) -> &str {
            "duplicate key value violates unique constraint \"shipments_tracking_number_key\""
        }
        fn details(&self) -> Option<&str> {
            Some("Key (tracking_number)=(KD473124829CN) already exists.")
        }
        fn hint(&self) -> Option<&str> {
            None
        }
        fn table_name(&self) -> Option<&str> {
            Some("shipments")
        }
        fn column_name(&self) -> Option<&str> {
            None
        }
        fn constraint_name(&self) -> Option<&str> {
            Some("shipments_tracking_number_key")
        }
        fn statement_position(&self) -> Option<i32> {
            None
        }
    }
    let err = ApiError::from(Error::DatabaseError(
        DatabaseErrorKind::UniqueViolation,
        Box::new(Violation),
    ));
    let p = err.to_problem(None, None);
    assert_eq!((p.status, p.code.as_str()), (409, "already_exists"));
    assert_eq!(
        p.detail,
        "conflict: a resource with the same key already exists"
    );
    let shown = serde_json::to_string(&p).unwrap_or_default();
    for schema in ["shipments", "tracking_number", "_key"] {
        assert!(!shown.contains(schema), "{schema} leaked: {shown}");
    }
}

#[test]
fn validation_problem_lists_fields() {
    let p = ApiError::validation("weight_kg", "must be > 0").to_problem(None, None);
    assert_eq!(p.status, 422);
    assert_eq!(p.code, "validation_failed");
    assert_eq!(p.errors, vec![FieldError::new("weight_kg", "must be > 0")]);
}
