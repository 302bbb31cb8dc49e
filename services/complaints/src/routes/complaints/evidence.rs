//! `/api/v1/complaints/{id}/evidence`: add (JSON with a `uri`, or a multipart upload), list,
//! download; the case's own access rules apply.

use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use kuaidi_shared::auth::Principal;
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::db;
use kuaidi_shared::deps::Deps;
use kuaidi_shared::extract::Query;
use kuaidi_shared::openapi::{InvalidFields, NotModified};
use kuaidi_shared::pagination::PageParams;
use kuaidi_shared::ApiError;
use uuid::Uuid;

use crate::api::evidence::{Evidence, EvidenceList, NewEvidence};
use crate::api::problems::{
    CaseClosed, ContentTypeNotAccepted, NoSuchCase, NoSuchEvidence, NoSuchUpload, UploadTooLarge,
};
use crate::configuration::EvidenceSettings;
use crate::db::evidence::{self as repo, EvidenceRow};
use crate::domain::history::public_actor;
use crate::workflow::evidence;

/// Room for the form's text fields and envelope around the largest file; also the limit of a
/// JSON body.
const FORM_OVERHEAD: usize = 64 * 1024;

/// The evidence as `caller` reads it: a merchant or an end customer sees who added it by role
/// (`staff`, `merchant`, `customer`), unless it was them — never a staff id or another person's
/// phone hash (`domain::history::public_actor`).
fn view(caller: &Principal, r: EvidenceRow) -> Evidence {
    let added_by = if super::outsider(caller) && r.added_by != caller.sub {
        public_actor(&r.added_by, None).to_owned()
    } else {
        r.added_by
    };
    Evidence {
        id: r.id,
        complaint_id: r.complaint_id,
        kind: r.kind,
        description: r.description,
        uri: r.uri,
        content_type: r.content_type,
        size_bytes: r.size_bytes,
        sha256: r.sha256,
        added_by,
        created_at: r.created_at,
    }
}

fn too_large(limit: usize) -> ApiError {
    ApiError::PayloadTooLarge(format!("uploads are limited to {limit} bytes"))
}

fn malformed(e: impl std::fmt::Display) -> ApiError {
    ApiError::validation(
        "body",
        format!("not a well-formed multipart/form-data body: {e}"),
    )
}

/// Reads a JSON body, refusing (413) as soon as it outgrows the limit.
async fn read(mut payload: web::Payload, limit: usize) -> Result<Vec<u8>, ApiError> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::BadRequest(format!("body: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Reads the parts of an upload form with `actix-multipart`, refusing (413) as soon as the
/// file outgrows `max_file` or the other fields [`FORM_OVERHEAD`].
async fn read_form(
    req: &HttpRequest,
    payload: web::Payload,
    max_file: usize,
) -> Result<Vec<evidence::Part>, ApiError> {
    let mut form = actix_multipart::Multipart::new(req.headers(), payload);
    let (mut parts, mut text_bytes) = (Vec::new(), 0usize);
    while let Some(field) = form.next().await {
        let mut field = field.map_err(malformed)?;
        let (name, filename) = field
            .content_disposition()
            .map(|cd| {
                let name = cd.get_name().unwrap_or_default().to_owned();
                (name, cd.get_filename().map(str::to_owned))
            })
            .unwrap_or_default();
        let mut part = evidence::Part {
            name,
            filename,
            content_type: field.content_type().map(|m| m.essence_str().to_owned()),
            data: Vec::new(),
        };
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(malformed)?;
            if part.is_file() {
                if part.data.len() + chunk.len() > max_file {
                    return Err(too_large(max_file));
                }
            } else {
                text_bytes += chunk.len();
                if text_bytes > FORM_OVERHEAD {
                    return Err(too_large(max_file));
                }
            }
            part.data.extend_from_slice(&chunk);
        }
        parts.push(part);
    }
    Ok(parts)
}

/// Adds evidence: JSON {kind, description, uri} (an `http`/`https` address, or the download
/// path of an upload; anything else is a `422` naming `uri`), or `multipart/form-data` with `kind`,
/// `description` and a `file` (at most 10 MB by default → 413; content types from the
/// configured allow-list → else 415; SHA-256 stored). An empty file is a `422` naming `file`.
/// A closed case takes no evidence (`409 case_closed`, as it takes no action but `reopen`);
/// one awaiting the customer's feedback, or reopened, does.
///
/// The file's bytes must also fit the type declared, as their magic numbers tell, else 415
/// naming both ("the file is application/vnd.microsoft.portable-executable, not image/png").
/// An image, audio or video file may be another format of its kind (a PNG declared
/// `image/jpeg`), and MP4, QuickTime, HEIC/HEIF and M4A files fit one another's types (one
/// container), but an executable, script, archive or document is none of them;
/// `application/pdf` takes only a PDF; `text/plain` only text (UTF-8 without binary bytes,
/// or HTML, XML, a script). Bytes of no known format are stored as declared.
#[utoipa::path(post, path = "/api/v1/complaints/{id}/evidence", tag = "complaints",
    params(("id" = Uuid, Path, description = "Case id")),
    request_body(content = NewEvidence, description = "JSON with a uri, or multipart/form-data with a file"),
    responses((status = 201, description = "Added; `Location` names the evidence", body = Evidence),
        NoSuchCase, CaseClosed, UploadTooLarge, ContentTypeNotAccepted, InvalidFields))]
pub async fn add_evidence(
    req: HttpRequest,
    caller: Authorized<caps::ComplaintsRead>,
    path: web::Path<Uuid>,
    payload: web::Payload,
    settings: web::Data<EvidenceSettings>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    if caller.role == kuaidi_shared::auth::Role::Analyst {
        return Err(ApiError::Forbidden("analysts read evidence only".into()));
    }
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let submission = if evidence::is_form(content_type) {
        evidence::upload(
            read_form(&req, payload, settings.max_bytes).await?,
            &settings,
        )?
    } else {
        evidence::parse(content_type, &read(payload, FORM_OVERHEAD).await?)?
    };
    let (id, who, now) = (
        path.into_inner(),
        caller.principal.clone(),
        deps.clock.now_micros(),
    );
    let row = db::transaction(&deps.pool, move |conn| {
        evidence::add(conn, id, submission, &who, now)
    })
    .await?;
    let location = format!(
        "/api/v1/complaints/{}/evidence/{}",
        row.complaint_id, row.id
    );
    Ok(HttpResponse::Created()
        .insert_header((actix_web::http::header::LOCATION, location))
        .json(view(&caller.principal, row)))
}

/// The evidence of a case, oldest first, a page at a time (`limit` 1–200, default 50; `cursor`
/// from `next_cursor`).
#[utoipa::path(get, path = "/api/v1/complaints/{id}/evidence", tag = "complaints",
    params(("id" = Uuid, Path, description = "Case id"), PageParams),
    responses((status = 200, description = "A page of the evidence, oldest first", body = EvidenceList),
        NoSuchCase, InvalidFields))]
pub async fn list_evidence(
    caller: Authorized<caps::ComplaintsRead>,
    path: web::Path<Uuid>,
    query: Query<PageParams>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let paging = crate::routes::Paging::parse(q.limit, q.cursor)?;
    let id = path.into_inner();
    let rows = super::read_of_case(&deps, &caller, id, move |conn| {
        Ok(repo::of_case(conn, id, paging.after, paging.limit)?)
    })
    .await?;
    let page = paging.page(
        rows,
        |r| (r.created_at, r.id),
        |r| view(&caller.principal, r),
    );
    Ok(HttpResponse::Ok().json(EvidenceList {
        data: page.data,
        next_cursor: page.next_cursor,
    }))
}

/// One piece of evidence.
#[utoipa::path(get, path = "/api/v1/complaints/{id}/evidence/{evidence_id}", tag = "complaints",
    params(("id" = Uuid, Path, description = "Case id"), ("evidence_id" = Uuid, Path, description = "Evidence id")),
    responses((status = 200, description = "The evidence; `ETag` names its content", body = Evidence),
        NotModified, NoSuchEvidence))]
pub async fn get_evidence(
    req: HttpRequest,
    caller: Authorized<caps::ComplaintsRead>,
    path: web::Path<(Uuid, Uuid)>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    let (id, evidence_id) = path.into_inner();
    let row = super::read_of_case(&deps, &caller, id, move |conn| {
        repo::find(conn, id, evidence_id)?.ok_or(ApiError::NotFound("evidence"))
    })
    .await?;
    // Evidence has no version: it changes only when an erasure scrubs its description, so the
    // tag is a digest of what is shown.
    Ok(kuaidi_shared::http::respond_with_content_tag(
        &req,
        &view(&caller.principal, row),
    ))
}

/// Downloads an uploaded file (as an attachment, with its content type and SHA-256).
#[utoipa::path(get, path = "/api/v1/complaints/{id}/evidence/{evidence_id}/content",
    tag = "complaints",
    params(("id" = Uuid, Path, description = "Case id"), ("evidence_id" = Uuid, Path, description = "Evidence id")),
    responses((status = 200, description = "The file", content_type = "application/octet-stream"),
        NoSuchUpload))]
pub async fn download_evidence(
    caller: Authorized<caps::ComplaintsRead>,
    path: web::Path<(Uuid, Uuid)>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    let (id, evidence_id) = path.into_inner();
    let (row, bytes) = super::read_of_case(&deps, &caller, id, move |conn| {
        repo::content(conn, id, evidence_id)?.ok_or(ApiError::NotFound("evidence"))
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type(
            row.content_type
                .unwrap_or_else(|| "application/octet-stream".into()),
        )
        .insert_header((
            "content-disposition",
            format!("attachment; filename=\"{}\"", row.id),
        ))
        .insert_header((
            "digest",
            format!("sha-256={}", row.sha256.unwrap_or_default()),
        ))
        .body(bytes))
}
