//! Validation of a customer creation request.

use kuaidi_shared::auth::{Principal, Role};
use kuaidi_shared::crypto::{normalise_email, normalise_phone};
use kuaidi_shared::{ApiError, FieldError};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::city_tier::{tier_of, TIER_VALUES};
use crate::api::customers::{Address, Company, CreateCustomer, Preferences, Region};

pub const KINDS: [&str; 2] = ["individual", "business"];
pub const SIZES: [&str; 4] = ["large", "medium", "small", "sole_proprietor"];

/// The sealed part of a customer: contact details (PII).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Contacts {
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    pub addresses: Vec<Address>,
}

/// A customer ready to be stored, with the normalised identities to index.
#[derive(Debug, Clone)]
pub struct NewCustomer {
    pub kind: String,
    pub name: String,
    pub contacts: Contacts,
    pub company: Option<Company>,
    pub industry: Option<String>,
    pub size: Option<String>,
    pub region: Option<Region>,
    pub lanes: Vec<String>,
    pub preferences: Preferences,
    pub tags: Vec<String>,
    pub owner_id: Option<Uuid>,
    pub merchant_id: Option<Uuid>,
    /// `(kind, normalised value)`: `phone`, `email`, `credit_code`.
    pub identities: Vec<(&'static str, String)>,
}

const CREDIT_CODE_CHARS: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

fn text(errors: &mut Vec<FieldError>, field: &str, v: &str, max: usize) {
    if v.trim().is_empty() {
        errors.push(FieldError::new(field, "is required"));
    } else if v.chars().count() > max {
        errors.push(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
}

fn list(errors: &mut Vec<FieldError>, field: &str, items: &[String], max_items: usize) {
    if items.len() > max_items {
        errors.push(FieldError::new(
            field,
            format!("at most {max_items} entries"),
        ));
    }
    for (i, item) in items.iter().enumerate() {
        text(errors, &format!("{field}[{i}]"), item, 64);
    }
}

impl NewCustomer {
    pub fn parse(req: CreateCustomer, caller: &Principal) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        if !KINDS.contains(&req.kind.as_str()) {
            errors.push(FieldError::new("kind", "must be individual or business"));
        }
        text(&mut errors, "name", &req.name, 200);
        let mut identities = Vec::new();
        let mut phones = Vec::new();
        for (i, p) in req.phones.iter().enumerate() {
            match normalise_phone(p) {
                Some(n) => {
                    identities.push(("phone", n.clone()));
                    phones.push(n);
                }
                None => errors.push(FieldError::new(
                    format!("phones[{i}]"),
                    "must be a phone number",
                )),
            }
        }
        let mut emails = Vec::new();
        for (i, e) in req.emails.iter().enumerate() {
            match normalise_email(e) {
                Some(n) => {
                    identities.push(("email", n.clone()));
                    emails.push(n);
                }
                None => errors.push(FieldError::new(
                    format!("emails[{i}]"),
                    "must be an email address",
                )),
            }
        }
        for (i, a) in req.addresses.iter().enumerate() {
            text(
                &mut errors,
                &format!("addresses[{i}].address"),
                &a.address,
                300,
            );
        }
        let mut company = req.company;
        if let Some(c) = company.as_mut() {
            text(&mut errors, "company.legal_name", &c.legal_name, 200);
            if let Some(code) = c.credit_code.as_mut() {
                *code = code.trim().to_ascii_uppercase();
                if code.len() != 18 || !code.chars().all(|ch| CREDIT_CODE_CHARS.contains(ch)) {
                    errors.push(FieldError::new(
                        "company.credit_code",
                        "must be an 18-character unified social credit code",
                    ));
                } else {
                    identities.push(("credit_code", code.clone()));
                }
            }
        }
        for (field, size) in [
            ("size", &req.size),
            (
                "company.size",
                &company.as_ref().and_then(|c| c.size.clone()),
            ),
        ] {
            if size.as_deref().is_some_and(|s| !SIZES.contains(&s)) {
                errors.push(FieldError::new(
                    field,
                    "must be large, medium, small or sole_proprietor",
                ));
            }
        }
        if let Some(industry) = &req.industry {
            text(&mut errors, "industry", industry, 64);
        }
        let mut region = req.region;
        if let Some(r) = region.as_mut() {
            match (&r.city_tier, &r.city) {
                (Some(t), _) if !TIER_VALUES.contains(&t.as_str()) => errors.push(FieldError::new(
                    "region.city_tier",
                    "must be tier1, tier2, tier3 or rural",
                )),
                (None, Some(city)) => r.city_tier = Some(tier_of(city).to_owned()),
                _ => {}
            }
        }
        list(&mut errors, "lanes", &req.lanes, 20);
        list(&mut errors, "tags", &req.tags, 50);
        // An agent's new customer is theirs unless they name another owner.
        let owner_id = req.owner_id.or_else(|| match caller.role {
            Role::Agent => caller.user_id(),
            _ => None,
        });
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        Ok(Self {
            kind: req.kind,
            name: req.name.trim().to_owned(),
            contacts: Contacts {
                phones,
                emails,
                addresses: req.addresses,
            },
            company,
            industry: req.industry,
            size: req.size,
            region,
            lanes: req.lanes,
            preferences: req.preferences.unwrap_or_default(),
            tags: req.tags,
            owner_id,
            merchant_id: req.merchant_id,
            identities,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent() -> Principal {
        Principal {
            sub: Uuid::now_v7().to_string(),
            role: Role::Agent,
            scopes: vec![],
            merchant_id: None,
            phone_hash: None,
        }
    }

    fn req(v: serde_json::Value) -> CreateCustomer {
        serde_json::from_value(v).expect("request shape")
    }

    #[test]
    fn contacts_are_normalised_and_indexed_and_the_agent_owns_the_customer() {
        let caller = agent();
        let c = NewCustomer::parse(
            req(serde_json::json!({"kind": "individual", "name": " 李雷 ",
                "phones": ["+86 138-1234-5678"], "emails": ["Li@Example.com"],
                "region": {"city": "深圳"}})),
            &caller,
        )
        .expect("valid");
        assert_eq!(c.name, "李雷");
        assert_eq!(c.contacts.phones, vec!["13812345678"]);
        assert_eq!(
            c.identities,
            vec![
                ("phone", "13812345678".into()),
                ("email", "li@example.com".into())
            ]
        );
        assert_eq!(c.region.and_then(|r| r.city_tier), Some("tier1".into()));
        assert_eq!(c.owner_id, caller.user_id());
    }

    #[test]
    fn every_invalid_field_is_reported() {
        let err = NewCustomer::parse(
            req(
                serde_json::json!({"kind": "robot", "name": "", "phones": ["1"],
                "emails": ["x"], "size": "huge",
                "company": {"legal_name": "A", "credit_code": "123"}}),
            ),
            &agent(),
        )
        .expect_err("invalid");
        let ApiError::Validation(errors) = err else {
            panic!("validation error expected")
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "kind",
                "name",
                "phones[0]",
                "emails[0]",
                "company.credit_code",
                "size"
            ]
        );
    }
}
