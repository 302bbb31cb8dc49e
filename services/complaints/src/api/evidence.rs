//! Evidence bodies.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// JSON body of `POST /api/v1/complaints/{id}/evidence` (evidence kept elsewhere, by `uri`).
/// Uploads use `multipart/form-data` instead: fields `kind`, `description` and a `file` part
/// with its content type.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"kind": "photo", "description": "crushed box at delivery",
    "uri": "https://files.example.com/evidence/778.jpg"}))]
pub struct NewEvidence {
    /// `document` | `audio` | `video` | `photo` | `witness_statement` | `system_record`.
    pub kind: String,
    pub description: Option<String>,
    /// Where the evidence is kept: an absolute `http://` or `https://` URI with a host (no
    /// credentials; at most 2048 characters), or the download path of a file uploaded to a
    /// case (`/api/v1/complaints/{id}/evidence/{evidence_id}/content`). Anything else is a
    /// `422` naming `uri`.
    #[schema(max_length = 2048)]
    pub uri: String,
}

/// A piece of evidence.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Evidence {
    pub id: Uuid,
    pub complaint_id: Uuid,
    pub kind: String,
    pub description: Option<String>,
    /// Where it is: the given URI, or the download path of an upload.
    pub uri: Option<String>,
    /// Uploads only.
    pub content_type: Option<String>,
    pub size_bytes: Option<i64>,
    /// Hex SHA-256 of the uploaded bytes.
    pub sha256: Option<String>,
    /// Who added it: the principal for staff; for a merchant or an end customer, themselves when
    /// it was them, otherwise a role (`staff`, `merchant`, `customer`, `system`).
    pub added_by: String,
    pub created_at: DateTime<Utc>,
}

/// `GET /api/v1/complaints/{id}/evidence`: a page, oldest first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EvidenceList {
    pub data: Vec<Evidence>,
    /// The `cursor` of the next page; `null` on the last.
    pub next_cursor: Option<String>,
}
