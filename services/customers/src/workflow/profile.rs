//! Between rows and profiles: a stored profile as an editable one (PII opened), a validated
//! profile written back to a row (PII sealed), the consents a row holds, and the care that
//! follows them (the care a withdrawn consent stops, birthday care following the birthday).

use kuaidi_shared::crypto::PiiCipher;
use kuaidi_shared::ApiError;
use std::collections::BTreeMap;

use crate::db::consents::ConsentRow;
use crate::db::customers::{CustomerRow, Digest};
use crate::db::follow_ups;
use crate::db::rules::{self, BIRTHDAY_CARE, HOLIDAY_CARE};
use crate::domain::enums::Purpose;
use crate::domain::new_customer::{Contacts, Extras, NewCustomer};
use crate::domain::profile::{ConsentState, CreateCustomer, Region};

fn internal(e: impl Into<anyhow::Error>) -> ApiError {
    ApiError::Internal(e.into())
}

/// The stored profile of `row` as an editable request (PII opened).
pub fn profile_of(row: &CustomerRow, pii: &PiiCipher) -> Result<CreateCustomer, ApiError> {
    let contacts: Contacts = pii.open_json(&row.contacts_sealed)?;
    let extras: Extras = match &row.extras_sealed {
        Some(sealed) => pii.open_json(sealed)?,
        None => Extras::default(),
    };
    Ok(CreateCustomer {
        kind: row.kind.clone(),
        name: row.name.clone(),
        phones: contacts.phones,
        emails: contacts.emails,
        addresses: contacts.addresses,
        company: row
            .company
            .clone()
            .map(serde_json::from_value)
            .transpose()
            .map_err(internal)?,
        industry: row.industry.clone(),
        size: row.size.clone(),
        region: region_of(row),
        lanes: row.lanes.clone(),
        preferences: Some(serde_json::from_value(row.preferences.clone()).map_err(internal)?),
        tags: row.tags.clone(),
        owner_id: row.owner_id,
        merchant_id: row.merchant_id,
        value_tier: row.value_tier_manual.then(|| row.value_tier.clone()),
        birthday: extras.birthday.map(|d| d.to_string()),
        family: extras.family,
        consents: None,
    })
}

fn region_of(row: &CustomerRow) -> Option<Region> {
    (row.region_city.is_some() || row.region_province.is_some() || row.city_tier.is_some()).then(
        || Region {
            city: row.region_city.clone(),
            province: row.region_province.clone(),
            city_tier: row.city_tier.clone(),
        },
    )
}

/// The blind indexes of a validated profile's identities.
pub fn digests(new: &NewCustomer, pii: &PiiCipher) -> Vec<Digest> {
    new.identities
        .iter()
        .map(|(kind, value)| (*kind, pii.blind_index(value)))
        .collect()
}

/// Writes a validated profile into `row` (PII sealed).
pub fn apply(row: &mut CustomerRow, new: &NewCustomer, pii: &PiiCipher) -> Result<(), ApiError> {
    row.kind = new.kind.clone();
    row.name = new.name.clone();
    row.contacts_sealed = pii.seal_json(&new.contacts);
    row.extras_sealed = new.extras.as_ref().map(|e| pii.seal_json(e));
    row.birthday_index = new
        .extras
        .as_ref()
        .and_then(Extras::birthday_key)
        .map(|k| pii.blind_index(&k));
    row.company = new
        .company
        .as_ref()
        .map(serde_json::to_value)
        .transpose()
        .map_err(internal)?;
    row.industry = new.industry.clone();
    row.size = new.size.clone();
    row.region_city = new.region.as_ref().and_then(|r| r.city.clone());
    row.region_province = new.region.as_ref().and_then(|r| r.province.clone());
    row.city_tier = new.region.as_ref().and_then(|r| r.city_tier.clone());
    row.lanes = new.lanes.clone();
    row.preferences = serde_json::to_value(&new.preferences).map_err(internal)?;
    row.tags = new.tags.clone();
    row.owner_id = new.owner_id;
    row.merchant_id = new.merchant_id;
    row.value_tier_manual = new.value_tier.is_some();
    if let Some(tier) = &new.value_tier {
        row.value_tier = tier.clone();
    }
    Ok(())
}

/// The current consents stored on `row`.
pub fn consents_of(row: &CustomerRow) -> BTreeMap<String, ConsentState> {
    serde_json::from_value(row.consents.clone()).unwrap_or_default()
}

/// Whether `row` holds a granted consent for `purpose`.
pub fn consented(row: &CustomerRow, purpose: &str) -> bool {
    consents_of(row).get(purpose).is_some_and(|c| c.granted)
}

/// Writes consent `changes` into `row` (withdrawing `profile_extras` erases the stored birthday
/// and family); answers the history rows to record once the row is saved, by `actor`.
pub fn record_consents(
    row: &mut CustomerRow,
    changes: Vec<(Purpose, ConsentState)>,
    actor: &str,
) -> Result<Vec<ConsentRow>, ApiError> {
    let mut current = consents_of(row);
    let mut history = Vec::with_capacity(changes.len());
    for (purpose, state) in changes {
        history.push(ConsentRow {
            id: kuaidi_shared::clock::new_id(),
            customer_id: row.id,
            purpose: purpose.to_string(),
            granted: state.granted,
            source: state.source.clone(),
            recorded_at: state.at,
            actor: Some(actor.to_owned()),
        });
        if purpose == Purpose::ProfileExtras && !state.granted {
            row.extras_sealed = None;
            row.birthday_index = None;
        }
        current.insert(purpose.to_string(), state);
    }
    row.consents = serde_json::to_value(&current).map_err(internal)?;
    Ok(history)
}

/// The care tasks planned under consents these `changes` withdraw (SPEC §4 "care messages and
/// birthday data only with consent"): per withdrawn purpose, the rules whose open tasks stop
/// and why — `care_messages` birthday and holiday care, `profile_extras` birthday care (its
/// date is the birthday being erased).
pub fn care_stopped(
    changes: &[(Purpose, ConsentState)],
) -> Vec<(&'static [&'static str], &'static str)> {
    changes
        .iter()
        .filter(|(_, state)| !state.granted)
        .filter_map(|(purpose, _)| match purpose {
            Purpose::CareMessages => Some((&[BIRTHDAY_CARE, HOLIDAY_CARE][..], CARE_WITHDRAWN)),
            Purpose::ProfileExtras => Some((&[BIRTHDAY_CARE][..], EXTRAS_WITHDRAWN)),
            Purpose::Marketing => None,
        })
        .collect()
}

/// Why care was cancelled when a consent was withdrawn.
pub const CARE_WITHDRAWN: &str = "cancelled: the customer withdrew consent to care messages";
pub const EXTRAS_WITHDRAWN: &str =
    "cancelled: the customer withdrew consent to profile extras (the birthday was erased)";

/// Whether consent `changes` grant what care needs (`care_messages`, or `profile_extras` that
/// keeps the birthday): then [`care_at_once`] plans what the job would.
pub fn grants_care(changes: &[(Purpose, ConsentState)]) -> bool {
    changes.iter().any(|(purpose, state)| {
        state.granted && matches!(purpose, Purpose::CareMessages | Purpose::ProfileExtras)
    })
}

/// The care the job would plan for `row`, planned at once when a file is created or a
/// consent given (again) (SPEC §4 "birthday/holiday care with consent"): once `row` consents
/// to care messages, its birthday care when the birthday falls within the job's lead, and
/// holiday care a withdrawal of `care_messages` cancelled, again for the holidays still ahead
/// — each as a new task, a cancelled one kept as it was. Nothing is planned twice. The caller
/// holds `row`'s lock (or has just inserted it).
pub fn care_at_once(
    conn: &mut diesel::PgConnection,
    row: &CustomerRow,
    now: chrono::DateTime<chrono::Utc>,
    pii: &PiiCipher,
) -> Result<(), ApiError> {
    if row.merged_into.is_some()
        || row.erased_at.is_some()
        || !consented(row, Purpose::CareMessages.as_ref())
    {
        return Ok(());
    }
    let day = (row.birthday_index.as_deref())
        .and_then(|index| rules::birthday_within_lead(index, now.date_naive(), pii));
    if let Some(day) = day {
        rules::plan_birthday_care(conn, row.id, row.owner_id, day, now, &REPLACEABLE)?;
    }
    rules::restore_holiday_care(conn, row.id, CARE_WITHDRAWN, now)?;
    Ok(())
}

/// Why birthday care planned for another day than the birthday was cancelled: the birthday
/// changed or was removed (an edit), the files were merged, or their merge undone.
pub const BIRTHDAY_CHANGED: &str = "cancelled: the customer's birthday changed";
pub const BIRTHDAY_REMOVED: &str = "cancelled: the customer's birthday was removed";
pub const BIRTHDAYS_MERGED: &str =
    "cancelled: the files were merged; birthday care follows the merged file's birthday";
pub const BIRTHDAY_MERGE_UNDONE: &str =
    "cancelled: the merge was undone; birthday care follows the birthday as restored";
/// Cancellations that no longer hold once the birthday is back on the day (or the consent
/// given again): a task for that day cancelled so may be planned anew.
const REPLACEABLE: [&str; 6] = [
    BIRTHDAY_CHANGED,
    BIRTHDAY_REMOVED,
    BIRTHDAYS_MERGED,
    BIRTHDAY_MERGE_UNDONE,
    CARE_WITHDRAWN,
    EXTRAS_WITHDRAWN,
];

/// Birthday care follows the birthday (SPEC §4 "birthday/holiday care with consent"), once
/// `row` was saved with a changed birthday, or merged: its open birthday-care tasks for
/// another day than the birthday as it now stands are cancelled with `why` (a merged
/// duplicate's among them), and the task for the new date is planned at once when it falls
/// within the care job's lead (as the job would plan it: with `care_messages` consent). The
/// caller holds `row`'s lock.
pub fn replan_birthday_care(
    conn: &mut diesel::PgConnection,
    row: &CustomerRow,
    now: chrono::DateTime<chrono::Utc>,
    pii: &PiiCipher,
    why: &str,
) -> Result<(), ApiError> {
    let cared = row.merged_into.is_none()
        && row.erased_at.is_none()
        && consented(row, Purpose::CareMessages.as_ref());
    let day = (row.birthday_index.as_deref())
        .filter(|_| cared)
        .and_then(|index| rules::birthday_within_lead(index, now.date_naive(), pii));
    let key = day.map(|d| rules::birthday_trigger(row.id, d));
    let keep = day
        .zip(key.as_deref())
        .map(|(d, k)| (rules::birthday_due(d), k));
    follow_ups::cancel_birthday_care(conn, row.id, keep, why, now)?;
    if let Some(day) = day {
        rules::plan_birthday_care(conn, row.id, row.owner_id, day, now, &REPLACEABLE)?;
    }
    Ok(())
}

/// After an edit saved `row`: its birthday care follows the birthday when the birthday's month
/// and day are no longer those indexed `before` (a new year alone moves no task).
pub fn birthday_edited(
    conn: &mut diesel::PgConnection,
    row: &CustomerRow,
    before: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
    pii: &PiiCipher,
) -> Result<(), ApiError> {
    if row.birthday_index.as_deref() == before {
        return Ok(());
    }
    let why = match row.birthday_index {
        Some(_) => BIRTHDAY_CHANGED,
        None => BIRTHDAY_REMOVED,
    };
    replan_birthday_care(conn, row, now, pii, why)
}
