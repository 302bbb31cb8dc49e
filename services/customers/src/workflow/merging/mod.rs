//! Merging two customer files and undoing it, in the caller's transaction: both rows locked
//! in id order (two merges of one pair queue, the second finds the work done and gets a 409),
//! both snapshotted before and after the merge with what moved, so an undo within the
//! configured days puts back what the merge changed: every field still as the merge left it
//! goes back, one changed since (a handover, an edit) stays (`undo.rs`). An owner the merge
//! changes (or the undo restores) is announced, and so are the files' new versions
//! (`customer.updated`: the survivor's after a merge, both after an undo) and the undo itself
//! (`customer.merge_undone`, so the other services move back what `customer.merged` moved).
//! Birthday care follows each file's birthday as the merge or the undo leaves it.

pub mod fields;
pub mod undo;

use chrono::{DateTime, Duration, Utc};
use diesel::PgConnection;
use kuaidi_shared::auth::Principal;
use kuaidi_shared::clock::new_id;
use kuaidi_shared::crypto::PiiCipher;
use kuaidi_shared::events::Outbox;
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::ApiError;
use std::collections::BTreeMap;
use uuid::Uuid;

use crate::db::customers::{self as repo, CustomerRow};
use crate::db::{follow_ups, merges};
use crate::domain::enums::Side;
use crate::domain::new_customer::NewCustomer;
use crate::domain::profile::ConsentState;
use crate::events::emit::Emitter;
use crate::workflow::{access, ownership, profile};
use fields as rules;

/// What the survivor's `customer.updated` names among `changed` after a merge (an undo's names
/// `merge_undone`).
pub const MERGED: &str = "merged";

/// A merge asked for: the duplicate, and the side each field named in `prefer` comes from.
/// (A dry run is this very merge in a transaction rolled back: the caller's to decide.)
pub struct MergeOrder {
    pub duplicate_id: Uuid,
    pub prefer: BTreeMap<String, Side>,
}

/// What a merge did: the survivor as merged, and as it was before.
pub struct Merged {
    pub merge_id: Uuid,
    pub survivor: CustomerRow,
    /// The survivor before the merge: what a dry run, rolled back, leaves it.
    pub before: CustomerRow,
    pub duplicate_id: Uuid,
    pub undo_until: DateTime<Utc>,
}

/// An undone merge: both records as they were before it.
pub struct Undone {
    pub merge_id: Uuid,
    pub undone_at: DateTime<Utc>,
    pub survivor: CustomerRow,
    pub duplicate: CustomerRow,
}

/// Who merges, when, with which keys, and for how many days a merge can be undone
/// (`[merges] undo_days`, SPEC §4 *default* 7).
pub struct Merger<'a> {
    pub who: &'a Principal,
    pub pii: &'a PiiCipher,
    pub ctx: &'a RequestContext,
    pub now: DateTime<Utc>,
    pub undo_days: i64,
}

/// Locks both customers (in id order, so two merges of one pair queue instead of
/// deadlocking); a customer erased or already merged away is a `409`.
fn lock_pair(
    conn: &mut PgConnection,
    who: &Principal,
    a: Uuid,
    b: Uuid,
) -> Result<(CustomerRow, CustomerRow), ApiError> {
    let (first, second) = if a < b { (a, b) } else { (b, a) };
    let mut rows = Vec::new();
    for id in [first, second] {
        let row = repo::lock_any(conn, id)?.ok_or(ApiError::NotFound("customer"))?;
        if !access::visible(conn, who, &row)? {
            return Err(ApiError::NotFound("customer"));
        }
        access::may_write(who, &row)?;
        access::not_erased(&row)?;
        rows.push(row);
    }
    let second_row = rows.pop().ok_or(ApiError::NotFound("customer"))?;
    let first_row = rows.pop().ok_or(ApiError::NotFound("customer"))?;
    Ok(if first == a {
        (first_row, second_row)
    } else {
        (second_row, first_row)
    })
}

fn merged_consents(
    s: &CustomerRow,
    d: &CustomerRow,
    prefer: &BTreeMap<String, Side>,
) -> BTreeMap<String, ConsentState> {
    let (mut base, other) = match prefer.get("consents") {
        Some(Side::Duplicate) => (profile::consents_of(d), profile::consents_of(s)),
        _ => (profile::consents_of(s), profile::consents_of(d)),
    };
    for (k, v) in other {
        base.entry(k).or_insert(v);
    }
    base
}

/// `prefer` as the merge row keeps it: field → `survivor` | `duplicate`, as it was asked.
fn stored_prefer(prefer: &BTreeMap<String, Side>) -> Result<serde_json::Value, ApiError> {
    let named: BTreeMap<&str, &str> = prefer
        .iter()
        .map(|(field, side)| (field.as_str(), side.as_ref()))
        .collect();
    Ok(serde_json::to_value(named).map_err(anyhow::Error::from)?)
}

impl Merger<'_> {
    /// Merges `order.duplicate_id` into `survivor`.
    pub fn merge(
        &self,
        conn: &mut PgConnection,
        survivor: Uuid,
        order: &MergeOrder,
    ) -> Result<Merged, ApiError> {
        let (who, pii, ctx, now) = (self.who, self.pii, self.ctx, self.now);
        let prefer = &order.prefer;
        let (s, d) = lock_pair(conn, who, survivor, order.duplicate_id)?;
        if s.merged_into.is_some() || d.merged_into.is_some() {
            return Err(ApiError::conflict(
                "already_merged",
                "one of the customers was merged already",
            ));
        }
        let consents = merged_consents(&s, &d, prefer);
        let extras_ok = consents.get("profile_extras").is_some_and(|c| c.granted);
        let mut profile = rules::merge(
            &profile::profile_of(&s, pii)?,
            &profile::profile_of(&d, pii)?,
            prefer,
        );
        if !extras_ok {
            (profile.birthday, profile.family) = (None, None);
        }
        let new = NewCustomer::parse(profile, extras_ok)?;
        let mut row = s.clone();
        profile::apply(&mut row, &new, pii)?;
        row.consents = serde_json::to_value(&consents).map_err(anyhow::Error::from)?;
        (row.version, row.updated_at) = (s.version + 1, now);
        let snapshot = (merges::snapshot(conn, s.id)?, merges::snapshot(conn, d.id)?);
        let identities =
            serde_json::to_value(repo::identities(conn, s.id)?).map_err(anyhow::Error::from)?;
        repo::save(conn, &row)?;
        repo::replace_identities(conn, s.id, &profile::digests(&new, pii))?;
        let (repointed, moved_interactions) = merges::absorb(conn, s.id, d.id, now)?;
        let moved_follow_ups = follow_ups::move_all(conn, d.id, s.id)?;
        profile::replan_birthday_care(conn, &row, now, pii, profile::BIRTHDAYS_MERGED)?;
        // The survivor's follow-ups keep their assignees, so that an undo restores them exactly.
        let emit = Emitter { ctx, now };
        ownership::announce(conn, &emit, s.id, s.owner_id, row.owner_id)?;
        let after = (merges::snapshot(conn, s.id)?, merges::snapshot(conn, d.id)?);
        let merge_id = new_id();
        merges::insert(
            conn,
            &merges::MergeRow {
                id: merge_id,
                survivor_id: s.id,
                duplicate_id: d.id,
                prefer: stored_prefer(prefer)?,
                survivor_before: snapshot.0,
                duplicate_before: snapshot.1,
                identities_before: identities,
                moved_interactions,
                moved_follow_ups,
                repointed,
                actor: Some(who.sub.clone()),
                merged_at: now,
                undone_at: None,
                survivor_after: Some(after.0),
                duplicate_after: Some(after.1),
            },
        )?;
        Outbox::enqueue(conn, &emit.merged(merge_id, s.id, d.id))?;
        // The survivor's new version as a whole (its united phones, the preferences `prefer`
        // chose): services that keep a copy ordered by version take it.
        let phones = repo::phone_hashes(conn, s.id)?;
        Outbox::enqueue(conn, &emit.updated(&row, vec![MERGED.into()], phones))?;
        Ok(Merged {
            merge_id,
            survivor: row,
            before: s,
            duplicate_id: d.id,
            undo_until: now + Duration::days(self.undo_days),
        })
    }

    /// Undoes merge `merge_id`: both records as they were before it, as new versions, but for
    /// the fields changed since the merge, which keep their current values.
    pub fn undo(&self, conn: &mut PgConnection, merge_id: Uuid) -> Result<Undone, ApiError> {
        let (who, ctx, now) = (self.who, self.ctx, self.now);
        let m = merges::lock(conn, merge_id)?.ok_or(ApiError::NotFound("merge"))?;
        if m.undone_at.is_some() {
            return Err(ApiError::conflict(
                "merge_undone",
                "this merge was undone already",
            ));
        }
        if now - m.merged_at > Duration::days(self.undo_days) {
            return Err(ApiError::conflict(
                "undo_window_passed",
                format!("a merge can be undone for {} days", self.undo_days),
            ));
        }
        let (merged, absorbed) = lock_pair(conn, who, m.survivor_id, m.duplicate_id)?;
        if let Some(later) = merged.merged_into {
            return Err(ApiError::conflict(
                "merged_again",
                format!("the survivor was merged into {later} since; undo that merge first"),
            ));
        }
        let before = merges::row_of(conn, &m.survivor_before)?;
        let (survivor, identities_back) =
            self.put_back(conn, &merged, before, &m.survivor_after)?;
        let before = merges::row_of(conn, &m.duplicate_before)?;
        let (duplicate, _) = self.put_back(conn, &absorbed, before, &m.duplicate_after)?;
        let identities = if identities_back {
            serde_json::from_value(m.identities_before.clone()).unwrap_or_default()
        } else {
            self.identities_of(&survivor)?
        };
        merges::release(conn, &m, &identities)?;
        merges::mark_undone(conn, merge_id, now)?;
        for row in [&survivor, &duplicate] {
            let why = profile::BIRTHDAY_MERGE_UNDONE;
            profile::replan_birthday_care(conn, row, now, self.pii, why)?;
        }
        let emit = Emitter { ctx, now };
        for row in [&survivor, &duplicate] {
            let phones = repo::phone_hashes(conn, row.id)?;
            let event = emit.updated(row, vec!["merge_undone".into()], phones);
            Outbox::enqueue(conn, &event)?;
        }
        // The other services move back what they re-pointed on `customer.merged`.
        Outbox::enqueue(
            conn,
            &emit.merge_undone(merge_id, survivor.id, duplicate.id),
        )?;
        ownership::announce(conn, &emit, survivor.id, merged.owner_id, survivor.owner_id)?;
        Ok(Undone {
            merge_id,
            undone_at: now,
            survivor,
            duplicate,
        })
    }

    /// Writes `current` back as `before` but for the fields changed since the merge left them
    /// as `after` holds (all of `before` for a merge that kept no `after`), as a new version;
    /// answers the row and whether its phones, emails and company are back as before.
    fn put_back(
        &self,
        conn: &mut PgConnection,
        current: &CustomerRow,
        before: CustomerRow,
        after: &Option<serde_json::Value>,
    ) -> Result<(CustomerRow, bool), ApiError> {
        let pii = self.pii;
        let after = match after {
            Some(after) => merges::row_of(conn, after)?,
            None => current.clone(),
        };
        let before = undo::State::open(before, pii)?;
        let now = undo::State::open(current.clone(), pii)?;
        let out = undo::resolve(&before, &undo::State::open(after, pii)?, &now);
        let identities_back = (&out.contacts.phones, &out.contacts.emails, &out.row.company)
            == (
                &before.contacts.phones,
                &before.contacts.emails,
                &before.row.company,
            );
        let mut row = out.sealed(&[&before, &now], pii);
        (row.id, row.version, row.updated_at) = (current.id, current.version + 1, self.now);
        repo::save(conn, &row)?;
        Ok((row, identities_back))
    }

    /// The identities (`(kind, blind index)`) of `row`'s profile as it is.
    fn identities_of(&self, row: &CustomerRow) -> Result<Vec<(String, String)>, ApiError> {
        let stored = profile::profile_of(row, self.pii)?;
        let new = NewCustomer::parse(stored, true).map_err(|e| {
            ApiError::Internal(anyhow::anyhow!("a restored profile does not parse: {e:?}"))
        })?;
        Ok(profile::digests(&new, self.pii)
            .into_iter()
            .map(|(kind, digest)| (kind.to_owned(), digest))
            .collect())
    }
}
