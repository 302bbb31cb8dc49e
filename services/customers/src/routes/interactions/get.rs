//! `GET /api/v1/customers/{id}/interactions/{interaction_id}`.

use actix_web::{web, HttpRequest, HttpResponse};
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::db;
use kuaidi_shared::deps::Deps;
use kuaidi_shared::http::respond_with_etag;
use kuaidi_shared::openapi::{NoValidToken, NotModified};
use kuaidi_shared::ApiError;
use uuid::Uuid;

use crate::api::interactions::Interaction;
use crate::api::problems::NoSuchInteraction;
use crate::db::interactions as repo;
use crate::workflow::access;

/// One entry of a customer's timeline (where `Location` of its creation points), with its
/// `ETag` (`If-None-Match` → `304`). Seen by whoever sees the timeline; another tenant's
/// customer, an unknown entry or one of another customer is a `404`.
#[utoipa::path(get, path = "/api/v1/customers/{id}/interactions/{interaction_id}",
    tag = "customers",
    params(("id" = Uuid, Path, description = "Customer id"),
        ("interaction_id" = Uuid, Path, description = "Interaction id")),
    responses((status = 200, description = "The interaction, with its `ETag`", body = Interaction),
        NotModified, NoValidToken, NoSuchInteraction))]
pub async fn get_interaction(
    req: HttpRequest,
    caller: Authorized<caps::CustomersRead>,
    path: web::Path<(Uuid, Uuid)>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    let ((id, interaction_id), who) = (path.into_inner(), caller.principal.clone());
    let entry: Interaction = db::run(&deps.pool, move |conn| {
        access::load_any(conn, &who, id)?;
        let row = repo::find_of(conn, id, interaction_id)?;
        Ok(super::view(row.ok_or(ApiError::NotFound("interaction"))?))
    })
    .await?;
    Ok(respond_with_etag(&req, &super::etag(&entry), &entry))
}
