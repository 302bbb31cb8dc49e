//! What an undo puts back (SPEC §4: an undo undoes the merge, not what came after it). Each
//! field of a record goes back to its value from before the merge only where it still holds
//! what the merge left there; a field changed since (a handover or another owner, an edit, a
//! consent, a classification) keeps its current value. Fields are compared as the API shows
//! them, PII opened: an edit of one field seals the contacts anew without changing them.

use kuaidi_shared::crypto::PiiCipher;
use kuaidi_shared::ApiError;
use serde_json::{Map, Value};

use crate::db::customers::CustomerRow;
use crate::domain::new_customer::{Contacts, Extras};
use crate::workflow::profile::consented;

/// A record as the undo compares it: the row, its contacts and extras opened, its consents
/// by purpose.
#[derive(Debug, Clone)]
pub struct State {
    pub row: CustomerRow,
    pub contacts: Contacts,
    pub extras: Extras,
    pub consents: Map<String, Value>,
}

impl State {
    /// `row` with its PII opened.
    pub fn open(row: CustomerRow, pii: &PiiCipher) -> Result<Self, ApiError> {
        let contacts = pii.open_json(&row.contacts_sealed)?;
        let extras = match &row.extras_sealed {
            Some(sealed) => pii.open_json(sealed)?,
            None => Extras::default(),
        };
        let consents = match &row.consents {
            Value::Object(map) => map.clone(),
            _ => Map::new(),
        };
        Ok(Self {
            row,
            contacts,
            extras,
            consents,
        })
    }

    /// The row of this state, its PII sealed: the sealed value of one of `known` (states read
    /// from the database) where it holds the same, sealed anew otherwise. Birthday and family
    /// are kept only with the `profile_extras` consent this state holds.
    pub fn sealed(mut self, known: &[&State], pii: &PiiCipher) -> CustomerRow {
        self.row.consents = Value::Object(self.consents);
        if !consented(&self.row, "profile_extras") {
            self.extras = Extras::default();
        }
        self.row.contacts_sealed = match known.iter().find(|k| k.contacts == self.contacts) {
            Some(k) => k.row.contacts_sealed.clone(),
            None => pii.seal_json(&self.contacts),
        };
        let stored = known
            .iter()
            .find(|k| k.extras == self.extras && k.row.extras_sealed.is_some());
        (self.row.extras_sealed, self.row.birthday_index) = if self.extras == Extras::default() {
            (None, None)
        } else if let Some(k) = stored {
            (k.row.extras_sealed.clone(), k.row.birthday_index.clone())
        } else {
            let index = self.extras.birthday_key().map(|k| pii.blind_index(&k));
            (Some(pii.seal_json(&self.extras)), index)
        };
        self.row
    }
}

/// The record an undo leaves: `before` (as it was before the merge), but every field whose
/// `current` value differs from what the merge left (`after`) keeps its current value. Fields
/// go as the API names them: the region and the RFM scores whole, each consent purpose alone.
/// The id, version and update time are the caller's.
pub fn resolve(before: &State, after: &State, current: &State) -> State {
    let mut out = before.clone();
    macro_rules! later {
        ($part:ident: $($field:ident),+) => {
            $(
                if current.$part.$field != after.$part.$field {
                    out.$part.$field = current.$part.$field.clone();
                }
            )+
        };
    }
    later!(row: kind, name, company, industry, size, lanes, preferences, tags);
    later!(row: owner_id, merchant_id, lifecycle_stage, created_at);
    later!(row: merged_into, erased_at);
    later!(contacts: phones, emails, addresses);
    later!(extras: birthday, family);
    macro_rules! later_together {
        ($($field:ident),+) => {
            if ($(&current.row.$field),+) != ($(&after.row.$field),+) {
                $(out.row.$field = current.row.$field.clone();)+
            }
        };
    }
    later_together!(region_city, region_province, city_tier);
    later_together!(rfm_r, rfm_f, rfm_m, rfm_score);
    later_together!(value_tier, value_tier_manual);
    let purposes: Vec<String> = (current.consents.keys())
        .chain(after.consents.keys())
        .cloned()
        .collect();
    for purpose in purposes {
        match current.consents.get(&purpose) {
            now if now == after.consents.get(&purpose) => {}
            Some(now) => {
                out.consents.insert(purpose, now.clone());
            }
            None => {
                out.consents.remove(&purpose);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use serde_json::json;
    use uuid::Uuid;

    fn row(name: &str, owner: Option<Uuid>) -> CustomerRow {
        let at = Utc
            .with_ymd_and_hms(2026, 12, 1, 8, 0, 0)
            .single()
            .expect("a time");
        CustomerRow {
            kind: "individual".into(),
            name: name.into(),
            owner_id: owner,
            ..CustomerRow::blank(Uuid::nil(), at)
        }
    }

    fn state(row: CustomerRow, phones: &[&str], consents: Value) -> State {
        State {
            row,
            contacts: Contacts {
                phones: phones.iter().map(|p| (*p).to_owned()).collect(),
                ..Contacts::default()
            },
            extras: Extras::default(),
            consents: consents.as_object().cloned().unwrap_or_default(),
        }
    }

    #[test]
    fn fields_still_as_the_merge_left_them_go_back_and_the_others_stay() {
        let (alice, carol) = (Uuid::now_v7(), Uuid::now_v7());
        let before = state(row("Acme", Some(alice)), &["1"], json!({}));
        let mut merged = row("ACME Ltd", Some(alice));
        merged.tags = vec!["import".into()];
        let after = state(merged, &["1", "2"], json!({"marketing": {"granted": true}}));
        let mut now = after.clone();
        (now.row.owner_id, now.row.tags) = (Some(carol), vec!["import".into(), "vip".into()]);
        now.consents = json!({"care_messages": {"granted": true}})
            .as_object()
            .cloned()
            .unwrap_or_default();

        let out = resolve(&before, &after, &now);
        assert_eq!(out.row.name, "Acme", "unchanged since the merge: put back");
        assert_eq!(out.contacts.phones, ["1"], "the duplicate's phone goes");
        assert_eq!(out.row.owner_id, Some(carol), "a later handover stays");
        assert_eq!(out.row.tags, ["import", "vip"], "a later edit stays");
        assert_eq!(
            Value::Object(out.consents),
            json!({"care_messages": {"granted": true}}),
            "each purpose alone: one withdrawn since stays withdrawn, one given since stays"
        );
    }

    #[test]
    fn a_record_untouched_since_the_merge_is_put_back_whole() {
        let before = state(
            row("Acme", None),
            &["1"],
            json!({"marketing": {"granted": false}}),
        );
        let mut merged = row("ACME Ltd", Some(Uuid::now_v7()));
        (merged.region_city, merged.rfm_score) = (Some("杭州".into()), Some(9));
        let after = state(merged, &["1", "2"], json!({"marketing": {"granted": true}}));
        let out = resolve(&before, &after, &after.clone());
        assert_eq!(out.row.name, before.row.name);
        assert_eq!(out.row.owner_id, None);
        assert_eq!(
            (out.row.region_city, out.row.rfm_score),
            (None, None),
            "groups go back whole"
        );
        assert_eq!(out.contacts, before.contacts);
        assert_eq!(out.consents, before.consents);
    }

    #[test]
    fn a_group_changed_in_part_since_the_merge_keeps_all_its_current_values() {
        let before = state(row("Acme", None), &[], json!({}));
        let mut merged = row("Acme", None);
        (merged.region_city, merged.city_tier) = (Some("杭州".into()), Some("tier2".into()));
        let after = state(merged, &[], json!({}));
        let mut now = after.clone();
        now.row.region_city = Some("宁波".into());
        let out = resolve(&before, &after, &now);
        assert_eq!(
            (out.row.region_city.as_deref(), out.row.city_tier.as_deref()),
            (Some("宁波"), Some("tier2")),
            "the region is one field"
        );
    }
}
