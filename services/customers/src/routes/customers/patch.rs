//! Edits: a `PATCH` body laid over the stored profile; the result is validated whole, as a
//! creation would be, so an edit cannot store what a creation would refuse.

use kuaidi_shared::{ApiError, FieldError};

use crate::api::customers::{CreateCustomer, TierSource, UpdateCustomer};

/// Lays the fields given in `patch` over `current`; returns the edited profile and the names
/// of the fields the patch named.
pub fn apply(mut current: CreateCustomer, patch: UpdateCustomer) -> (CreateCustomer, Vec<String>) {
    let mut changed = Vec::new();
    // `rules` gives a tier set by hand back (a `value_tier` given with it wins); `manual` pins
    // the tier the file has (the caller knows it).
    if let Some(source) = patch.value_tier_source {
        if source == TierSource::Rules {
            current.value_tier = None;
        }
        changed.push("value_tier_source".to_owned());
    }
    macro_rules! set {
        ($($field:ident => $wrap:expr),* $(,)?) => {
            $(
                if let Some(v) = patch.$field {
                    current.$field = $wrap(v);
                    changed.push(stringify!($field).to_owned());
                }
            )*
        };
    }
    set!(
        kind => |v| v,
        name => |v| v,
        phones => |v| v,
        emails => |v| v,
        addresses => |v| v,
        company => Some,
        industry => Some,
        size => Some,
        region => Some,
        lanes => |v| v,
        preferences => Some,
        tags => |v| v,
        owner_id => Some,
        merchant_id => Some,
        birthday => Some,
        family => Some,
        value_tier => Some,
    );
    (current, changed)
}

/// `422` naming `birthday` and `family` when the patch sets them without the customer's
/// `profile_extras` consent: an edit of these fields alone would otherwise change nothing.
pub fn check_extras(changed: &[String], consented: bool) -> Result<(), ApiError> {
    let errors: Vec<FieldError> = changed
        .iter()
        .filter(|f| !consented && (*f == "birthday" || *f == "family"))
        .map(|f| {
            FieldError::new(
                f.as_str(),
                "may be stored only with the customer's profile_extras consent",
            )
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// Whether an end customer may make this edit: only their own preferences.
pub fn customer_may_edit(changed: &[String]) -> bool {
    changed.iter().all(|f| f == "preferences")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_named_fields_change_and_are_reported() {
        let current: CreateCustomer =
            serde_json::from_value(json!({"kind": "individual", "name": "李雷", "tags": ["vip"]}))
                .expect("profile");
        let patch: UpdateCustomer =
            serde_json::from_value(json!({"name": "李 雷", "preferences": {"packaging": "box"}}))
                .expect("patch");
        let (edited, changed) = apply(current, patch);
        assert_eq!(edited.name, "李 雷");
        assert_eq!(edited.tags, vec!["vip"]);
        assert_eq!(changed, vec!["name", "preferences"]);
        assert!(!customer_may_edit(&changed));
        assert!(customer_may_edit(&["preferences".into()]));
    }
}
