//! Revoked credentials (SPEC §10): the gateway publishes `client.revoked`, `api_key.revoked`
//! and `user.sessions_ended`; every service records them in its `revoked_credentials` table
//! (in the transaction that records the event) and refuses, with `401`, the tokens whose `sub`
//! names such a credential and that were issued (`iat`) at or before its revocation — a revoked
//! client's or a deactivated user's live token is refused by a service reached directly, not
//! only by the gateway, while a user's token issued after (reactivated, signed in again with
//! the new password) passes. Each replica keeps the list in memory: the replica that consumed
//! the event at once, the others when they reload it (every second).

use chrono::{DateTime, Duration as Age, Utc};
use diesel::prelude::*;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::events::catalogue::{
    ApiKeyRevokedV1, ClientRevokedV1, EventPayload, UserSessionsEndedV1,
};
use crate::events::{CloudEvent, EventHandler, Failed};

diesel::table! {
    revoked_credentials (subject) {
        subject -> Text,
        revoked_at -> Timestamptz,
    }
}

/// How often each replica reloads the list.
pub const RELOAD_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// How long a revocation is kept: longer than any access token lives (15 minutes by default;
/// a revoked credential gets no new one), so no token it could refuse is alive after.
pub const KEEP: Age = Age::days(7);

/// Deletes one batch of revocations older than `$1` (at most `$2`): a retention purge.
pub const PURGE_SQL: &str = "DELETE FROM revoked_credentials WHERE subject IN (\
    SELECT subject FROM revoked_credentials WHERE revoked_at < $1 ORDER BY revoked_at LIMIT $2)";

/// The subjects (`sub` claims) whose tokens this replica refuses, each with the second up to
/// which (`iat`) they are refused.
#[derive(Default)]
pub struct Revocations {
    subjects: RwLock<HashMap<String, i64>>,
}

impl Revocations {
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether a token with this `sub`, issued at `iat` (seconds), is refused.
    pub fn is_revoked(&self, sub: &str, iat: i64) -> bool {
        self.subjects
            .read()
            .is_ok_and(|s| s.get(sub).is_some_and(|until| iat <= *until))
    }

    fn add(&self, sub: &str, at: DateTime<Utc>) {
        if let Ok(mut s) = self.subjects.write() {
            let until = s.entry(sub.to_owned()).or_insert(i64::MIN);
            *until = (*until).max(at.timestamp());
        }
    }

    /// Replaces the list with the table's rows (what other replicas consumed); returns how many
    /// subjects are new to this replica.
    pub fn reload(&self, conn: &mut PgConnection) -> QueryResult<usize> {
        let rows: HashMap<String, i64> = revoked_credentials::table
            .select((
                revoked_credentials::subject,
                revoked_credentials::revoked_at,
            ))
            .load::<(String, DateTime<Utc>)>(conn)?
            .into_iter()
            .map(|(subject, at)| (subject, at.timestamp()))
            .collect();
        let Ok(mut subjects) = self.subjects.write() else {
            return Ok(0);
        };
        let new = rows
            .iter()
            .filter(|(sub, until)| subjects.get(*sub) != Some(*until))
            .count();
        *subjects = rows;
        Ok(new)
    }

    /// Records a revocation in the caller's transaction and refuses the subject's tokens issued
    /// until `at` at once; a later one (a user's sessions ended again) moves that time on.
    fn record(&self, conn: &mut PgConnection, subject: &str, at: DateTime<Utc>) -> QueryResult<()> {
        let later = diesel::dsl::sql::<diesel::sql_types::Timestamptz>(
            "GREATEST(revoked_credentials.revoked_at, excluded.revoked_at)",
        );
        diesel::insert_into(revoked_credentials::table)
            .values((
                revoked_credentials::subject.eq(subject),
                revoked_credentials::revoked_at.eq(at),
            ))
            .on_conflict(revoked_credentials::subject)
            .do_update()
            .set(revoked_credentials::revoked_at.eq(later))
            .execute(conn)?;
        self.add(subject, at);
        Ok(())
    }
}

/// A service's event handler plus the revocation events: what every service consumes.
pub struct WithRevocations {
    inner: Arc<dyn EventHandler>,
    types: Vec<&'static str>,
    revocations: Arc<Revocations>,
}

/// The event types of the revocations every service consumes.
pub const TYPES: [&str; 3] = [
    ClientRevokedV1::TYPE,
    ApiKeyRevokedV1::TYPE,
    UserSessionsEndedV1::TYPE,
];

impl WithRevocations {
    pub fn new(inner: Arc<dyn EventHandler>, revocations: Arc<Revocations>) -> Self {
        let mut types = inner.event_types().to_vec();
        let extra: Vec<&'static str> = TYPES.into_iter().filter(|t| !types.contains(t)).collect();
        types.extend(extra);
        Self {
            inner,
            types,
            revocations,
        }
    }
}

impl EventHandler for WithRevocations {
    fn event_types(&self) -> &[&'static str] {
        &self.types
    }

    fn recorded(&self, event_type: &str) -> bool {
        TYPES.contains(&event_type) || self.inner.recorded(event_type)
    }

    fn handle(&self, conn: &mut PgConnection, event: &CloudEvent) -> anyhow::Result<()> {
        match event.type_.as_str() {
            ClientRevokedV1::TYPE => {
                let c: ClientRevokedV1 = event.decode()?;
                Ok(self.revocations.record(conn, &c.subject, c.revoked_at)?)
            }
            ApiKeyRevokedV1::TYPE => {
                let k: ApiKeyRevokedV1 = event.decode()?;
                Ok(self.revocations.record(conn, &k.subject, k.revoked_at)?)
            }
            UserSessionsEndedV1::TYPE => {
                let u: UserSessionsEndedV1 = event.decode()?;
                Ok(self.revocations.record(conn, &u.subject, u.ended_at)?)
            }
            _ => self.inner.handle(conn, event),
        }
    }

    /// The service's own events go to its handler in runs, as they came (so its batch handlers
    /// keep their batches); a revocation between them is recorded in its place.
    fn handle_all(&self, conn: &mut PgConnection, events: &[&CloudEvent]) -> Result<(), Failed> {
        let revocation = |e: &CloudEvent| TYPES.contains(&e.type_.as_str());
        let mut offset = 0;
        for run in events.chunk_by(|a, b| revocation(a) == revocation(b)) {
            if revocation(run[0]) {
                for (i, event) in run.iter().enumerate() {
                    self.handle(conn, event)
                        .map_err(|e| Failed::at(offset + i, e))?;
                }
            } else {
                self.inner
                    .handle_all(conn, run)
                    .map_err(|f| f.shifted(offset))?;
            }
            offset += run.len();
        }
        Ok(())
    }
}

/// Each replica reloads the revoked credentials every second; one replica purges those older
/// than any live token.
pub fn jobs(
    sched: &crate::jobs::Scheduler,
    list: &actix_web::web::Data<Revocations>,
    retention: &crate::events::retention::RetentionSettings,
    stopping: &crate::events::Shutdown,
) -> Vec<tokio::task::JoinHandle<()>> {
    let list = list.clone().into_inner();
    let reload = crate::jobs::Job::new("revocations_reload", RELOAD_EVERY);
    let purge = crate::events::retention::Purge {
        job: "revoked_credentials_purge",
        max_age: KEEP,
        sql: PURGE_SQL,
    };
    let mut jobs = vec![sched.spawn_db(reload, stopping.clone(), move |conn, _| {
        Ok(list.reload(conn)?)
    })];
    jobs.extend(crate::events::retention::spawn_purges(
        sched,
        vec![purge],
        retention,
        stopping.clone(),
    ));
    jobs
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn tokens_issued_up_to_the_revocation_are_refused_and_later_ones_pass() {
        let list = Revocations::new();
        let at = Utc.with_ymd_and_hms(2026, 12, 5, 8, 0, 0).unwrap() + Age::milliseconds(700);
        list.add("u1", at);
        let second = at.timestamp();
        assert!(list.is_revoked("u1", second - 60), "issued before");
        assert!(list.is_revoked("u1", second), "issued in the same second");
        assert!(
            !list.is_revoked("u1", second + 1),
            "issued after: signed in again"
        );
        assert!(!list.is_revoked("u2", second), "another subject");
        // Ended again later: the later time holds; an older event arriving late moves nothing.
        list.add("u1", at + Age::minutes(5));
        list.add("u1", at - Age::minutes(5));
        assert!(list.is_revoked("u1", second + 120));
        assert!(!list.is_revoked("u1", second + 301));
    }
}
