//! Validation of a customer creation request.

use chrono::NaiveDate;
use kuaidi_shared::auth::{Principal, Role};
use kuaidi_shared::crypto::{normalise_email, normalise_phone};
use kuaidi_shared::{ApiError, FieldError};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::city_tier::tier_of;
use super::enums::{parse_into, parse_opt, CityTier, ContactChannel, Kind, Size, ValueTier};
use super::profile::{Address, Company, CreateCustomer, Preferences, Region};

/// The sealed part of a customer: contact details (PII).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Contacts {
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    pub addresses: Vec<Address>,
}

/// The sealed extras of a customer (PII), stored only with `profile_extras` consent.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Extras {
    pub birthday: Option<NaiveDate>,
    pub family: Option<serde_json::Value>,
}

impl Extras {
    /// `birthday:MM-DD`, whose keyed blind index the birthday-care rule looks for.
    pub fn birthday_key(&self) -> Option<String> {
        self.birthday.map(birthday_key)
    }
}

/// What a birthday on `day`'s month and day is indexed by (the year plays no part).
pub fn birthday_key(day: NaiveDate) -> String {
    day.format("birthday:%m-%d").to_string()
}

/// A customer ready to be stored, with the normalised identities to index.
#[derive(Debug, Clone)]
pub struct NewCustomer {
    pub kind: String,
    pub name: String,
    pub contacts: Contacts,
    /// Birthday and family: `None` when neither is given.
    pub extras: Option<Extras>,
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
    /// The value tier set by hand, if any (the classification runs keep it).
    pub value_tier: Option<String>,
}

const CREDIT_CODE_CHARS: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/// `raw` as a normalised unified social credit code (18 characters), if it is one.
pub fn credit_code(raw: &str) -> Option<String> {
    let code = raw.trim().to_ascii_uppercase();
    (code.len() == 18 && code.chars().all(|ch| CREDIT_CODE_CHARS.contains(ch))).then_some(code)
}

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

/// `items` in their order, each once.
fn once_each(items: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    items
        .into_iter()
        .filter(|i| seen.insert(i.clone()))
        .collect()
}

/// Birthday and family as stored: checked whenever given, kept only when `consented` (the
/// customer's `profile_extras` consent), dropped otherwise.
fn extras(
    errors: &mut Vec<FieldError>,
    birthday: &Option<String>,
    family: &Option<serde_json::Value>,
    consented: bool,
) -> Option<Extras> {
    let family = family.clone().filter(|f| !f.is_null());
    let birthday = birthday.as_deref().and_then(|b| {
        let parsed = NaiveDate::parse_from_str(b, "%Y-%m-%d").ok();
        if parsed.is_none() {
            errors.push(FieldError::new("birthday", "must be a date YYYY-MM-DD"));
        }
        parsed
    });
    if !consented || (birthday.is_none() && family.is_none()) {
        return None;
    }
    Some(Extras { birthday, family })
}

/// A kind of contact a customer is found by: its identity name, the field it is given in, how
/// it is normalised and what an invalid one is told.
struct Contact {
    identity: &'static str,
    field: &'static str,
    normalise: fn(&str) -> Option<String>,
    rule: &'static str,
}

impl Contact {
    const PHONE: Contact = Contact {
        identity: "phone",
        field: "phones",
        normalise: normalise_phone,
        rule: "must be a phone number",
    };
    const EMAIL: Contact = Contact {
        identity: "email",
        field: "emails",
        normalise: normalise_email,
        rule: "must be an email address",
    };
}

/// The `given` contacts of one kind, normalised (each also an identity), each once (`+86 138…`
/// and `138…` are one phone); an invalid one is an error naming its index.
fn contacts(
    errors: &mut Vec<FieldError>,
    identities: &mut Vec<(&'static str, String)>,
    kind: Contact,
    given: &[String],
) -> Vec<String> {
    let mut valid = Vec::with_capacity(given.len());
    for (i, value) in given.iter().enumerate() {
        match (kind.normalise)(value) {
            Some(n) if valid.contains(&n) => {}
            Some(n) => {
                identities.push((kind.identity, n.clone()));
                valid.push(n);
            }
            None => errors.push(FieldError::new(format!("{}[{i}]", kind.field), kind.rule)),
        }
    }
    valid
}

impl NewCustomer {
    /// Validates every field at once. Birthday and family are checked, and kept only when
    /// `extras_consented` (the customer's `profile_extras` consent): without it they are not
    /// stored.
    pub fn parse(req: CreateCustomer, extras_consented: bool) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        if req.kind.is_empty() {
            errors.push(FieldError::new("kind", "is required"));
        } else {
            parse_into::<Kind>(&mut errors, "kind", &req.kind);
        }
        text(&mut errors, "name", &req.name, 200);
        let mut identities = Vec::new();
        let phones = contacts(&mut errors, &mut identities, Contact::PHONE, &req.phones);
        let emails = contacts(&mut errors, &mut identities, Contact::EMAIL, &req.emails);
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
                match credit_code(code) {
                    Some(valid) => {
                        *code = valid.clone();
                        identities.push(("credit_code", valid));
                    }
                    None => errors.push(FieldError::new(
                        "company.credit_code",
                        "must be an 18-character unified social credit code",
                    )),
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
            parse_opt::<Size>(&mut errors, field, size.as_deref());
        }
        parse_opt::<ValueTier>(&mut errors, "value_tier", req.value_tier.as_deref());
        if let Some(industry) = &req.industry {
            text(&mut errors, "industry", industry, 64);
        }
        let mut region = req.region;
        if let Some(r) = region.as_mut() {
            match (&r.city_tier, &r.city) {
                (Some(t), _) => {
                    parse_into::<CityTier>(&mut errors, "region.city_tier", t);
                }
                (None, Some(city)) => r.city_tier = Some(tier_of(city).to_owned()),
                _ => {}
            }
        }
        if let Some(p) = &req.preferences {
            parse_opt::<ContactChannel>(
                &mut errors,
                "preferences.contact_channel",
                p.contact_channel.as_deref(),
            );
        }
        let extras = extras(&mut errors, &req.birthday, &req.family, extras_consented);
        list(&mut errors, "lanes", &req.lanes, 20);
        list(&mut errors, "tags", &req.tags, 50);
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
            extras,
            company,
            industry: req.industry,
            size: req.size,
            region,
            lanes: once_each(req.lanes),
            preferences: req.preferences.unwrap_or_default(),
            tags: once_each(req.tags),
            owner_id: req.owner_id,
            merchant_id: req.merchant_id,
            identities,
            value_tier: req.value_tier,
        })
    }

    /// On creation only: an agent's new customer is theirs unless they name another owner
    /// (an edit or a merge never changes the owner this way).
    pub fn owned_by_default(mut self, caller: &Principal) -> Self {
        if self.owner_id.is_none() && caller.role == Role::Agent {
            self.owner_id = caller.user_id();
        }
        self
    }
}

#[cfg(test)]
#[path = "new_customer_tests.rs"]
mod tests;
