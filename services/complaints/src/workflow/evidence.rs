//! Evidence (seed 002 §3.2): a reference by URI, or an upload (size-limited, content type
//! checked, as declared and by its bytes, SHA-256 stored, bytes apart from the case).

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use kuaidi_shared::auth::Principal;
use kuaidi_shared::clock::new_id;
use kuaidi_shared::{ApiError, FieldError};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::configuration::EvidenceSettings;
use crate::db::complaints as cases;
use crate::db::evidence::{self as repo, EvidenceRow};
use crate::domain::evidence::file_type::bytes_fit;
use crate::domain::evidence::{acceptable_uri, URI_RULE};
use crate::domain::fields::json_body;
use crate::domain::fields::Fields;
use crate::domain::lifecycle::{allowed_actions, Status};
use crate::domain::vocab::EvidenceKind;

/// What was submitted.
pub struct Submission {
    pub kind: EvidenceKind,
    pub description: Option<String>,
    pub uri: Option<String>,
    /// An upload: its content type and bytes.
    pub file: Option<(String, Vec<u8>)>,
}

/// One part of an uploaded `multipart/form-data` form (read by `actix-multipart`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub name: String,
    pub filename: Option<String>,
    /// The part's declared media type without parameters (`image/png`).
    pub content_type: Option<String>,
    pub data: Vec<u8>,
}

impl Part {
    /// Whether this part is the uploaded file (a file name, or the field `file`).
    pub fn is_file(&self) -> bool {
        self.filename.is_some() || self.name == "file"
    }
}

/// Whether a content type is `multipart/form-data` (an upload).
pub fn is_form(content_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("multipart/form-data"))
}

/// Reads a JSON body (anything but JSON is 415; uploads go through [`upload`]).
pub fn parse(content_type: &str, body: &[u8]) -> Result<Submission, ApiError> {
    if !content_type
        .to_ascii_lowercase()
        .starts_with("application/json")
    {
        return Err(ApiError::UnsupportedMediaType(
            "send JSON with a uri, or multipart/form-data with a file".into(),
        ));
    }
    let value = json_body(body)?;
    let mut f = Fields::new(value);
    let kind = f.one_of::<EvidenceKind>("kind", true, &EvidenceKind::listed());
    let description = f.text("description", false);
    let uri = f.text("uri", true);
    if uri.as_deref().is_some_and(|u| !acceptable_uri(u)) {
        f.errors.push(FieldError::new("uri", URI_RULE));
    }
    match (kind, f.ok()) {
        (Some(kind), true) => Ok(Submission {
            kind,
            description,
            uri,
            file: None,
        }),
        _ => Err(ApiError::Validation(f.errors)),
    }
}

/// An upload from the parts of its form: `kind`, `description` and the file, whose size
/// (413) and content type (415) are checked by [`checked_file`].
pub fn upload(parts: Vec<Part>, settings: &EvidenceSettings) -> Result<Submission, ApiError> {
    let text = |name: &str| {
        parts
            .iter()
            .find(|p| p.name == name && p.filename.is_none())
            .map(|p| String::from_utf8_lossy(&p.data).trim().to_owned())
            .filter(|s| !s.is_empty())
    };
    let mut errors = Vec::new();
    let kind_text = text("kind");
    let kind = match kind_text.as_deref().map(str::parse::<EvidenceKind>) {
        Some(Ok(k)) => Some(k),
        Some(Err(_)) => {
            errors.push(FieldError::new(
                "kind",
                format!("must be one of {}", EvidenceKind::listed()),
            ));
            None
        }
        None => {
            errors.push(FieldError::new("kind", "is required"));
            None
        }
    };
    let description = text("description");
    if description
        .as_deref()
        .is_some_and(|d| !crate::domain::fields::storable(d))
    {
        errors.push(FieldError::new(
            "description",
            "must not contain NUL characters",
        ));
    }
    let file = parts.into_iter().find(Part::is_file);
    match &file {
        None => errors.push(FieldError::new("file", "is required")),
        Some(f) if f.data.is_empty() => errors.push(FieldError::new("file", "must not be empty")),
        Some(_) => {}
    }
    let (Some(kind), Some(file), true) = (kind, file, errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    Ok(Submission {
        kind,
        description,
        uri: None,
        file: Some(checked_file(file, settings)?),
    })
}

/// The uploaded file's content type and bytes, checked against the configuration: its size
/// (413), its declared content type against the allow-list (415), then its bytes against
/// that type (415 naming both, [`bytes_fit`]).
fn checked_file(file: Part, settings: &EvidenceSettings) -> Result<(String, Vec<u8>), ApiError> {
    if file.data.len() > settings.max_bytes {
        return Err(ApiError::PayloadTooLarge(format!(
            "uploads are limited to {} bytes",
            settings.max_bytes
        )));
    }
    let content_type = file
        .content_type
        .unwrap_or_else(|| "application/octet-stream".into());
    if !settings
        .content_types
        .iter()
        .any(|t| t.eq_ignore_ascii_case(&content_type))
    {
        return Err(ApiError::UnsupportedMediaType(format!(
            "{content_type} is not accepted; accepted: {}",
            settings.content_types.join(", ")
        )));
    }
    bytes_fit(&content_type, &file.data)
        .map_err(|mismatch| ApiError::UnsupportedMediaType(mismatch.to_string()))?;
    Ok((content_type, file.data))
}

/// Stores the evidence on a case the caller may see, and records it in the history. A closed
/// case takes none (`409 case_closed`), as it takes no action but `reopen`: evidence goes on
/// while a case is open, awaiting feedback included, or once it is reopened. The case is locked
/// so a close cannot slip in between.
pub fn add(
    conn: &mut PgConnection,
    case_id: Uuid,
    s: Submission,
    who: &Principal,
    now: DateTime<Utc>,
) -> Result<EvidenceRow, ApiError> {
    let case = crate::db::complaints::visible_case(conn, who, case_id, true)?;
    if super::actions::status_of(&case)? == Status::Closed {
        return Err(case_closed());
    }
    let id = new_id();
    let row = EvidenceRow {
        id,
        complaint_id: case.id,
        kind: s.kind.to_string(),
        description: s.description,
        uri: s.uri.or_else(|| {
            s.file
                .as_ref()
                .map(|_| format!("/api/v1/complaints/{case_id}/evidence/{id}/content"))
        }),
        content_type: s.file.as_ref().map(|f| f.0.clone()),
        size_bytes: s.file.as_ref().map(|f| f.1.len() as i64),
        sha256: s.file.as_ref().map(|f| hex::encode(Sha256::digest(&f.1))),
        added_by: who.sub.clone(),
        created_at: now,
    };
    repo::insert(conn, &row, s.file.as_ref().map(|f| f.1.as_slice()))?;
    cases::record(
        conn,
        cases::Entry {
            complaint_id: case.id,
            actor: &who.sub,
            actor_role: crate::db::history::role_of(who),
            action: "evidence",
            from: Some(&case.status),
            to: &case.status,
            payload: serde_json::json!({"evidence_id": id, "kind": row.kind, "sha256": row.sha256}),
            at: now,
        },
    )?;
    Ok(row)
}

/// `409 case_closed`: evidence is added to an open case; `allowed_actions` says what a closed
/// case takes (`reopen`), as the lifecycle's own 409 does.
fn case_closed() -> ApiError {
    let allowed: Vec<String> = allowed_actions(Status::Closed)
        .iter()
        .map(ToString::to_string)
        .collect();
    let mut extensions = serde_json::Map::new();
    extensions.insert(
        "current_status".into(),
        serde_json::json!(Status::Closed.to_string()),
    );
    extensions.insert("allowed_actions".into(), serde_json::json!(allowed));
    ApiError::ConflictWith {
        code: "case_closed",
        detail: "the case is closed: reopen it to add evidence".into(),
        extensions,
    }
}
