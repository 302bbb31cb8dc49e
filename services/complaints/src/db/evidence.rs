//! Evidence of a case; uploaded bytes are kept in their own table.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::schema::{evidence, evidence_content};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = evidence)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct EvidenceRow {
    pub id: Uuid,
    pub complaint_id: Uuid,
    pub kind: String,
    pub description: Option<String>,
    pub uri: Option<String>,
    pub content_type: Option<String>,
    pub size_bytes: Option<i64>,
    pub sha256: Option<String>,
    pub added_by: String,
    pub created_at: DateTime<Utc>,
}

pub fn insert(
    conn: &mut PgConnection,
    row: &EvidenceRow,
    content: Option<&[u8]>,
) -> QueryResult<()> {
    super::insert(conn, evidence::table, row)?;
    if let Some(bytes) = content {
        let content = (
            evidence_content::evidence_id.eq(row.id),
            evidence_content::content.eq(bytes),
        );
        super::insert(conn, evidence_content::table, content)?;
    }
    Ok(())
}

/// One page (`limit + 1` rows) of a case's evidence after `(created_at, id)`, oldest first.
pub fn of_case(
    conn: &mut PgConnection,
    complaint_id: Uuid,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<EvidenceRow>> {
    use evidence as e;
    let mut q = e::table
        .filter(e::complaint_id.eq(complaint_id))
        .select(EvidenceRow::as_select())
        .into_boxed();
    if let Some((at, id)) = after {
        q = q.filter(
            e::created_at
                .gt(at)
                .or(e::created_at.eq(at).and(e::id.gt(id))),
        );
    }
    q.order((e::created_at.asc(), e::id.asc()))
        .limit(limit + 1)
        .load(conn)
}

/// An uploaded file of a case: its row and bytes.
pub fn content(
    conn: &mut PgConnection,
    complaint_id: Uuid,
    id: Uuid,
) -> QueryResult<Option<(EvidenceRow, Vec<u8>)>> {
    evidence::table
        .inner_join(evidence_content::table)
        .filter(evidence::id.eq(id))
        .filter(evidence::complaint_id.eq(complaint_id))
        .select((EvidenceRow::as_select(), evidence_content::content))
        .first(conn)
        .optional()
}

/// One piece of evidence of a case.
pub fn find(
    conn: &mut PgConnection,
    complaint_id: Uuid,
    id: Uuid,
) -> QueryResult<Option<EvidenceRow>> {
    evidence::table
        .filter(evidence::id.eq(id))
        .filter(evidence::complaint_id.eq(complaint_id))
        .select(EvidenceRow::as_select())
        .first(conn)
        .optional()
}
