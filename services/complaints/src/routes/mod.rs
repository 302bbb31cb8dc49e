//! Every route of the complaints service, in one place.

use actix_web::web;

pub mod claims;
pub mod complaints;
pub mod departments;
pub mod improvements;
pub mod notifications;
pub mod policies;
pub mod surveys;

/// Registers the service's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    use complaints::{act, create, evidence, get, list, survey};
    cfg.service(
        web::scope("/api/v1/complaints")
            .route("", web::post().to(create::create_complaint))
            .route("", web::get().to(list::list_complaints))
            .route("/{id}", web::get().to(get::get_complaint))
            .route("/{id}/history", web::get().to(get::get_history))
            .route("/{id}/actions/{action}", web::post().to(act::act))
            .route("/{id}/survey", web::post().to(survey::submit_survey))
            .route(
                "/{id}/surveys/{survey_id}",
                web::get().to(survey::get_case_survey),
            )
            .route("/{id}/survey-link", web::post().to(survey::survey_link))
            .route("/{id}/evidence", web::post().to(evidence::add_evidence))
            .route("/{id}/evidence", web::get().to(evidence::list_evidence))
            .route(
                "/{id}/evidence/{evidence_id}",
                web::get().to(evidence::get_evidence),
            )
            .route(
                "/{id}/evidence/{evidence_id}/content",
                web::get().to(evidence::download_evidence),
            ),
    )
    .service(
        web::scope("/api/v1/claims")
            .route("", web::post().to(claims::create_claim))
            .route("", web::get().to(claims::list_claims))
            .route("/{id}", web::get().to(claims::get_claim))
            .route(
                "/{id}/actions/{action}",
                web::post().to(claims::act_on_claim),
            ),
    )
    .service(
        web::scope("/api/v1/improvement-actions")
            .route("", web::get().to(improvements::list_improvements))
            .route("", web::post().to(improvements::create_improvement))
            .route("/{id}", web::get().to(improvements::get_improvement))
            .route("/{id}", web::patch().to(improvements::patch_improvement)),
    )
    .service(
        web::resource("/api/v1/sla-policies")
            .route(web::get().to(policies::get_policies))
            .route(web::put().to(policies::put_policies)),
    )
    .service(
        web::scope("/api/v1/departments")
            .route("", web::get().to(departments::list_departments))
            .route("/{name}", web::get().to(departments::get_department))
            .route("/{name}", web::put().to(departments::put_department)),
    )
    .service(
        web::scope("/api/v1/notifications")
            .route("", web::get().to(notifications::list_notifications))
            .route(
                "/{id}/read",
                web::post().to(notifications::read_notification),
            ),
    )
    .service(
        web::resource("/api/v1/surveys/{token}")
            .route(web::get().to(surveys::get_survey))
            .route(web::post().to(surveys::answer_survey)),
    );
}

/// Where a list continues: the page size asked for and the `(time, id)` of the last row seen,
/// for lists ordered by a time and then the id.
#[derive(Debug, Clone, Copy)]
pub struct Paging {
    pub limit: i64,
    pub after: Option<(chrono::DateTime<chrono::Utc>, uuid::Uuid)>,
}

impl Paging {
    /// A list query's `limit` and `cursor`, checked.
    pub fn parse(
        limit: Option<i64>,
        cursor: Option<String>,
    ) -> Result<Self, kuaidi_shared::ApiError> {
        let (limit, cursor) = kuaidi_shared::pagination::PageParams { limit, cursor }.parse()?;
        Ok(Self {
            limit,
            after: cursor.map(|c| (c.at, c.id)),
        })
    }

    /// The page of `rows` (one more than the limit when another page follows), each answered
    /// by `view`; `key` is the `(time, id)` a row is ordered by.
    pub fn page<R, T>(
        &self,
        rows: Vec<R>,
        key: impl Fn(&R) -> (chrono::DateTime<chrono::Utc>, uuid::Uuid),
        view: impl Fn(R) -> T,
    ) -> kuaidi_shared::pagination::Page<T> {
        let cursor = |r: &R| {
            let (at, id) = key(r);
            kuaidi_shared::pagination::Cursor { at, id }
        };
        kuaidi_shared::pagination::Page::from_rows(rows, self.limit, cursor, view)
    }
}

/// Where a list ordered by a sequence number continues (a case's history, in the order its
/// entries were appended): the page size and the number of the last entry seen. The shared
/// [`Cursor`](kuaidi_shared::pagination::Cursor) keys rows by time and UUID; this one is as
/// opaque to callers (base64url) and refused the same way when it was not made here.
#[derive(Debug, Clone, Copy)]
pub struct SeqPaging {
    pub limit: i64,
    pub after: Option<i64>,
}

impl SeqPaging {
    const PREFIX: &'static str = "seq:";

    /// A list query's `limit` and `cursor`, checked.
    pub fn parse(
        limit: Option<i64>,
        cursor: Option<String>,
    ) -> Result<Self, kuaidi_shared::ApiError> {
        use base64::Engine;
        let (limit, _) = kuaidi_shared::pagination::PageParams {
            limit,
            cursor: None,
        }
        .parse()?;
        let after = cursor
            .map(|c| {
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(c)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .and_then(|s| s.strip_prefix(Self::PREFIX)?.parse::<i64>().ok())
                    .filter(|n| *n >= 0)
                    .ok_or_else(|| {
                        kuaidi_shared::ApiError::validation(
                            "cursor",
                            "not a cursor returned by this API",
                        )
                    })
            })
            .transpose()?;
        Ok(Self { limit, after })
    }

    /// The page of `rows` (one more than the limit when another page follows), each answered
    /// by `view`; `seq` is the number a row is ordered by.
    pub fn page<R, T>(
        &self,
        mut rows: Vec<R>,
        seq: impl Fn(&R) -> i64,
        view: impl FnMut(R) -> T,
    ) -> kuaidi_shared::pagination::Page<T> {
        use base64::Engine;
        let more = rows.len() as i64 > self.limit;
        rows.truncate(usize::try_from(self.limit).unwrap_or(0));
        let next_cursor = rows.last().filter(|_| more).map(|r| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(
                "{}{}",
                Self::PREFIX,
                seq(r)
            ))
        });
        kuaidi_shared::pagination::Page {
            data: rows.into_iter().map(view).collect(),
            next_cursor,
        }
    }
}
