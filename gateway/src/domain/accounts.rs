//! Accounts: staff users (usernames, the password policy, staff roles) and system clients
//! (their roles, scopes and merchants). Each check adds to the list of invalid fields, so a
//! request learns every problem at once.

use kuaidi_shared::auth::Role;
use kuaidi_shared::capabilities::Capability;
use kuaidi_shared::FieldError;
use uuid::Uuid;

/// Staff roles a user account may have (system roles belong to clients).
pub const STAFF_ROLES: [Role; 6] = [
    Role::Admin,
    Role::Manager,
    Role::Supervisor,
    Role::Agent,
    Role::Analyst,
    Role::Operator,
];

/// Roles a system client may have.
pub const CLIENT_ROLES: [Role; 7] = [
    Role::Operator,
    Role::Merchant,
    Role::App,
    Role::Analyst,
    Role::Agent,
    Role::Supervisor,
    Role::Manager,
];

/// A username: 3–64 of a-z, 0-9, '.', '_', '-' (already trimmed and lower-cased).
pub fn username(errors: &mut Vec<FieldError>, username: &str) {
    if !(3..=64).contains(&username.len())
        || !username
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"._-".contains(&c))
    {
        errors.push(FieldError::new(
            "username",
            "must be 3–64 of a-z, 0-9, '.', '_', '-'",
        ));
    }
}

/// A staff role.
pub fn staff_role(errors: &mut Vec<FieldError>, role: &str) {
    if !Role::parse(role).is_some_and(|r| STAFF_ROLES.contains(&r)) {
        errors.push(FieldError::new(
            "role",
            "must be admin, manager, supervisor, agent, analyst or operator",
        ));
    }
}

/// The password policy: 10–128 characters, letters and digits, not containing the username.
pub fn password_policy(errors: &mut Vec<FieldError>, password: &str, username: &str) {
    let n = password.chars().count();
    let letters = password.chars().any(char::is_alphabetic);
    let digits = password.chars().any(|c| c.is_ascii_digit());
    if !(10..=128).contains(&n) || !letters || !digits {
        errors.push(FieldError::new(
            "password",
            "must be 10–128 characters with letters and digits",
        ));
    } else if !username.is_empty() && password.to_lowercase().contains(&username.to_lowercase()) {
        errors.push(FieldError::new("password", "must not contain the username"));
    }
}

/// A name of a client or key: 1–200 characters.
pub fn name(errors: &mut Vec<FieldError>, name: &str) {
    if name.trim().is_empty() || name.len() > 200 {
        errors.push(FieldError::new(
            "name",
            "is required (at most 200 characters)",
        ));
    }
}

/// A role a client may have; the role when valid.
pub fn client_role(errors: &mut Vec<FieldError>, role: &str) -> Option<Role> {
    let role = Role::parse(role).filter(|r| CLIENT_ROLES.contains(r));
    if role.is_none() {
        errors.push(FieldError::new(
            "role",
            "must be operator, merchant, app, analyst, agent, supervisor or manager",
        ));
    }
    role
}

/// A client's role (merchants need their merchant) and scopes; the role when valid.
pub fn client(
    errors: &mut Vec<FieldError>,
    role: &str,
    merchant_id: Option<Uuid>,
    scopes: &[String],
) -> Option<Role> {
    let role = client_role(errors, role);
    if role == Some(Role::Merchant) && merchant_id.is_none() {
        errors.push(FieldError::new("merchant_id", "is required for merchants"));
    }
    // Scopes are enforced per capability (`Capability::scope`): only those names mean anything.
    if let Some(unknown) = scopes.iter().find(|s| !Capability::is_scope(s)) {
        errors.push(FieldError::new(
            "scopes",
            format!("unknown scope {unknown:?}: scopes name capabilities, e.g. shipments:read"),
        ));
    }
    role
}

/// `Ok` when nothing was invalid.
pub fn valid(errors: Vec<FieldError>) -> Result<(), Vec<FieldError>> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_need_length_letters_digits_and_not_the_username() {
        let check = |p: &str| {
            let mut e = Vec::new();
            password_policy(&mut e, p, "li.na");
            e.len()
        };
        assert_eq!(check("Courier-2026-spring"), 0);
        assert_eq!(check("short1"), 1, "too short");
        assert_eq!(check("onlyletterslong"), 1, "no digit");
        assert_eq!(check("li.na-2026-secret"), 1, "contains the username");
    }

    #[test]
    fn every_invalid_client_field_is_reported() {
        let mut e = Vec::new();
        let role = client(&mut e, "merchant", None, &["a b".into()]);
        assert_eq!(role, Some(Role::Merchant));
        let fields: Vec<&str> = e.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["merchant_id", "scopes"]);
        let mut e = Vec::new();
        assert_eq!(client(&mut e, "customer", None, &[]), None);
    }
}
