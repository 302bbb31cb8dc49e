//! Merging two customer files: lists are united (nothing is lost), single values come from the
//! survivor unless `prefer` names the duplicate for that field, and a value only one record
//! holds is kept whichever holds it.

use kuaidi_shared::{ApiError, FieldError};
use std::collections::BTreeMap;

use crate::domain::enums::{parse_into, Side};
use crate::domain::profile::CreateCustomer;

/// Fields `prefer` may name.
pub const FIELDS: [&str; 17] = [
    "kind",
    "name",
    "phones",
    "emails",
    "addresses",
    "company",
    "industry",
    "size",
    "region",
    "lanes",
    "preferences",
    "tags",
    "owner_id",
    "merchant_id",
    "birthday",
    "family",
    "consents",
];

/// Validates `prefer`: every key a known field, every value `survivor` | `duplicate`.
pub fn parse_prefer(prefer: &BTreeMap<String, String>) -> Result<BTreeMap<String, Side>, ApiError> {
    let mut errors = Vec::new();
    let mut out = BTreeMap::new();
    for (field, side) in prefer {
        let name = format!("prefer.{field}");
        if !FIELDS.contains(&field.as_str()) {
            errors.push(FieldError::new(name, "not a field of a customer"));
        } else if let Some(side) = parse_into::<Side>(&mut errors, &name, side) {
            out.insert(field.clone(), side);
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(ApiError::Validation(errors))
    }
}

fn union<T: PartialEq + Clone>(first: &[T], second: &[T]) -> Vec<T> {
    let mut out = first.to_vec();
    for item in second {
        if !out.contains(item) {
            out.push(item.clone());
        }
    }
    out
}

/// The merged profile of `survivor` and `duplicate` under `prefer`.
pub fn merge(
    survivor: &CreateCustomer,
    duplicate: &CreateCustomer,
    prefer: &BTreeMap<String, Side>,
) -> CreateCustomer {
    let dup_first = |f: &str| prefer.get(f) == Some(&Side::Duplicate);
    macro_rules! pick {
        ($field:ident) => {
            if dup_first(stringify!($field)) {
                duplicate.$field.clone().or_else(|| survivor.$field.clone())
            } else {
                survivor.$field.clone().or_else(|| duplicate.$field.clone())
            }
        };
    }
    macro_rules! unite {
        ($field:ident) => {
            if dup_first(stringify!($field)) {
                union(&duplicate.$field, &survivor.$field)
            } else {
                union(&survivor.$field, &duplicate.$field)
            }
        };
    }
    CreateCustomer {
        kind: if dup_first("kind") {
            duplicate.kind.clone()
        } else {
            survivor.kind.clone()
        },
        name: if dup_first("name") {
            duplicate.name.clone()
        } else {
            survivor.name.clone()
        },
        phones: unite!(phones),
        emails: unite!(emails),
        addresses: unite!(addresses),
        company: pick!(company),
        industry: pick!(industry),
        size: pick!(size),
        region: pick!(region),
        lanes: unite!(lanes),
        preferences: pick!(preferences),
        tags: unite!(tags),
        owner_id: pick!(owner_id),
        merchant_id: pick!(merchant_id),
        value_tier: pick!(value_tier),
        birthday: pick!(birthday),
        family: pick!(family),
        consents: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn profile(v: serde_json::Value) -> CreateCustomer {
        serde_json::from_value(v).expect("profile")
    }

    #[test]
    fn lists_are_united_and_single_values_follow_prefer() {
        let a = profile(
            json!({"kind": "business", "name": "Acme", "phones": ["13800000001"],
            "industry": "retail"}),
        );
        let b = profile(
            json!({"kind": "business", "name": "ACME Ltd", "phones": ["13800000002"],
            "industry": "ecommerce", "size": "large"}),
        );
        let prefer = parse_prefer(&[("name".to_owned(), "duplicate".to_owned())].into())
            .expect("valid prefer");
        let m = merge(&a, &b, &prefer);
        assert_eq!(m.name, "ACME Ltd", "prefer chose the duplicate's name");
        assert_eq!(m.industry.as_deref(), Some("retail"), "survivor by default");
        assert_eq!(
            m.size.as_deref(),
            Some("large"),
            "a value only one holds is kept"
        );
        assert_eq!(m.phones, vec!["13800000001", "13800000002"]);
    }

    #[test]
    fn unknown_fields_and_sides_are_all_reported() {
        let bad = [
            ("colour".to_owned(), "survivor".to_owned()),
            ("name".to_owned(), "both".to_owned()),
        ]
        .into();
        let Err(ApiError::Validation(errors)) = parse_prefer(&bad) else {
            panic!("validation error expected")
        };
        assert_eq!(errors.len(), 2);
    }
}
