//! `POST /api/v1/customers/{id}/merge` and `POST /api/v1/customers/merges/{merge_id}:undo`.

use actix_web::{web, HttpResponse};
use diesel::{Connection, PgConnection};
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::db;
use kuaidi_shared::extract::{Json, Query};
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::ApiError;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::view::{full_view, full_view_as};
use crate::api::care::{MergeRequest, MergeResult, UndoResult};
use crate::api::customers::Customer;
use crate::api::problems::{BadMerge, NoSuchCustomer, NoSuchMerge, NotMergeable, NotUndoable};
use crate::configuration::CustomerRules;
use crate::db::customers::CustomerRow;
use crate::workflow::access;
use crate::workflow::merging::fields as rules;
use crate::workflow::merging::{MergeOrder, Merged, Merger, Undone};
use kuaidi_shared::deps::Deps;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MergeParams {
    /// Answer the merged record without writing anything.
    #[serde(default)]
    pub dry_run: bool,
}

/// Merges `duplicate_id` into this customer: lists united, single values from the survivor
/// unless `prefer` names the duplicate, interactions, follow-ups and stats to the survivor.
/// Emits `customer.merged` and the survivor's `customer.updated` (and `customer.owner_changed`
/// when the survivor's owner changes);
/// undoable for 7 days (*default*, `[merges] undo_days`). `?dry_run=true` answers the very
/// record the merge would answer (the duplicate's interactions, follow-ups and stats with the
/// survivor's) and writes nothing: the same merge, rolled back. PII is shown as a read of the
/// survivor would show it: after a dry run, which changes nothing, as its file stands; after a
/// merge, as the merged file (whose owner may have changed) reads.
#[utoipa::path(post, path = "/api/v1/customers/{id}/merge", tag = "customers",
    params(("id" = Uuid, Path, description = "The surviving customer"), MergeParams),
    request_body = MergeRequest,
    responses((status = 200, description = "The merged record", body = MergeResult),
        NoSuchCustomer, NotMergeable, BadMerge))]
pub async fn merge_customers(
    caller: Authorized<caps::CustomersWrite>,
    ctx: RequestContext,
    path: web::Path<Uuid>,
    params: Query<MergeParams>,
    body: Json<MergeRequest>,
    rules: web::Data<CustomerRules>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    access::staff_only(&caller)?;
    let (survivor, req) = (path.into_inner(), body.into_inner());
    if survivor == req.duplicate_id {
        return Err(ApiError::validation(
            "duplicate_id",
            "cannot merge a customer with itself",
        ));
    }
    let order = MergeOrder {
        duplicate_id: req.duplicate_id,
        prefer: rules::parse_prefer(&req.prefer)?,
    };
    let dry_run = params.dry_run;
    let (result, unmasked) = as_merger(
        &caller,
        ctx,
        &deps,
        (rules.merges.undo_days, dry_run),
        move |conn, merger| {
            let merged = merger.merge(conn, survivor, &order)?;
            merge_result(conn, merged, dry_run, merger)
        },
    )
    .await?;
    let mut resp = HttpResponse::Ok().json(&result);
    if unmasked {
        super::mark_read(&mut resp, &[result.survivor_id]);
    }
    Ok(resp)
}

/// Undoes a merge within 7 days (*default*, `[merges] undo_days`): both records as they were,
/// the interactions and follow-ups the merge moved back with the duplicate. It undoes the merge
/// only: a field changed since the merge (a handover, an edit) keeps its current value. Emits
/// both files' `customer.updated` and `customer.merge_undone`, by which the other services move
/// back to the duplicate what they re-pointed on `customer.merged`.
#[utoipa::path(post, path = "/api/v1/customers/merges/{merge_id}:undo", tag = "customers",
    params(("merge_id" = Uuid, Path, description = "Merge id")),
    responses((status = 200, description = "Both records as before the merge, later changes kept", body = UndoResult),
        NoSuchMerge, NotUndoable))]
pub async fn undo_merge(
    caller: Authorized<caps::CustomersWrite>,
    ctx: RequestContext,
    path: web::Path<Uuid>,
    rules: web::Data<CustomerRules>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    access::staff_only(&caller)?;
    let merge_id = path.into_inner();
    let result = as_merger(
        &caller,
        ctx,
        &deps,
        (rules.merges.undo_days, false),
        move |conn, merger| {
            let undone = merger.undo(conn, merge_id)?;
            undo_result(conn, undone, merger)
        },
    )
    .await?;
    let mut resp = HttpResponse::Ok().json(&result);
    super::mark_unmasked(&mut resp, &caller, &[&result.survivor, &result.duplicate]);
    Ok(resp)
}

/// Runs `work` in one transaction with `caller` as the merger (merges undoable for
/// `undo_days`), then wakes the outbox relay. On a dry run the transaction is rolled back
/// after `work` built its answer: the answer is what the real thing answers, and nothing it
/// wrote stays (its events in the outbox neither).
async fn as_merger<T, F>(
    caller: &Authorized<caps::CustomersWrite>,
    ctx: RequestContext,
    deps: &Deps,
    (undo_days, dry_run): (i64, bool),
    work: F,
) -> Result<T, ApiError>
where
    F: FnOnce(&mut PgConnection, &Merger) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let (now, who, pii) = (deps.clock.now(), caller.principal.clone(), deps.pii.clone());
    let result = db::run(&deps.pool, move |conn| {
        let work = move |conn: &mut PgConnection| {
            let merger = Merger {
                who: &who,
                pii: &pii,
                ctx: &ctx,
                now,
                undo_days,
            };
            work(conn, &merger)
        };
        if dry_run {
            rolled_back(conn, work)
        } else {
            conn.transaction(work)
        }
    })
    .await?;
    if !dry_run {
        deps.outbox.wake();
    }
    Ok(result)
}

/// How a rolled-back transaction ends: with the answer of its work, or the error.
enum RolledBack<T> {
    Answered(T),
    Failed(ApiError),
}

impl<T> From<diesel::result::Error> for RolledBack<T> {
    fn from(e: diesel::result::Error) -> Self {
        RolledBack::Failed(e.into())
    }
}

/// Runs `work` in a transaction that is always rolled back, and answers what `work` answered
/// (its error as it is; a rollback that fails is the error then).
fn rolled_back<T>(
    conn: &mut PgConnection,
    work: impl FnOnce(&mut PgConnection) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    // The answer travels as the transaction's error: an error is what rolls it back.
    let ended = conn.transaction::<std::convert::Infallible, RolledBack<T>, _>(|conn| {
        Err(match work(conn) {
            Ok(answer) => RolledBack::Answered(answer),
            Err(e) => RolledBack::Failed(e),
        })
    });
    match ended {
        Ok(never) => match never {},
        Err(RolledBack::Answered(answer)) => Ok(answer),
        Err(RolledBack::Failed(e)) => Err(e),
    }
}

/// The answer of a merge: the merged survivor as the caller may see it (no merge to name or
/// undo after a dry run, which is rolled back), and whether it shows PII unmasked. Its PII is
/// shown as a read would show it afterwards: a dry run leaves the survivor's file as it was,
/// and so the rights on it, whatever owner the merged record names.
fn merge_result(
    conn: &mut PgConnection,
    merged: Merged,
    dry_run: bool,
    by: &Merger,
) -> Result<(MergeResult, bool), ApiError> {
    let rights = if dry_run {
        &merged.before
    } else {
        &merged.survivor
    };
    let customer = full_view_as(conn, &merged.survivor, rights, by.now, by.pii, by.who)?;
    let result = MergeResult {
        merge_id: (!dry_run).then_some(merged.merge_id),
        dry_run,
        survivor_id: merged.survivor.id,
        duplicate_id: merged.duplicate_id,
        customer,
        undo_until: (!dry_run).then_some(merged.undo_until),
    };
    Ok((result, access::sees_pii(by.who, rights)))
}

/// The answer of an undone merge: both records as the caller may see them.
fn undo_result(
    conn: &mut PgConnection,
    undone: Undone,
    by: &Merger,
) -> Result<UndoResult, ApiError> {
    Ok(UndoResult {
        merge_id: undone.merge_id,
        undone_at: undone.undone_at,
        survivor: shown(conn, &undone.survivor, by)?,
        duplicate: shown(conn, &undone.duplicate, by)?,
    })
}

fn shown(conn: &mut PgConnection, row: &CustomerRow, by: &Merger) -> Result<Customer, ApiError> {
    full_view(conn, row, by.now, by.pii, by.who)
}
