//! A webhook registration parsed at the edge — a callable URL, known event types, a secret —
//! and an owner's edit of one, checked by the same rules and applied to its row.

use chrono::{DateTime, Utc};
use kuaidi_shared::crypto::PiiCipher;
use kuaidi_shared::{ApiError, FieldError};

use super::{signature, target, DELIVERABLE};
use crate::db::webhooks::SubscriptionRow;

/// How long registration waits for DNS before leaving the check to delivery time.
const RESOLVE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);
/// The longest signing secret a caller may choose.
const MAX_SECRET: usize = 256;

/// A valid registration.
#[derive(Debug, Clone)]
pub struct NewWebhook {
    pub url: String,
    /// Sorted, without duplicates; `["*"]` for every type.
    pub events: Vec<String>,
    pub secret: String,
}

impl NewWebhook {
    /// Validates a registration of `url` for `events` signed with `secret` (generated when
    /// `None`), reporting all the invalid fields at once. A host name is resolved too, so a
    /// name that points at a forbidden address is refused now, not only at delivery.
    pub async fn parse(
        url: &str,
        events: &[String],
        secret: Option<String>,
        allow_private: bool,
    ) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        let url = check_url(&mut errors, url, allow_private).await;
        let events = check_events(&mut errors, events);
        let secret = match secret {
            None => signature::generate_secret(),
            Some(s) => check_secret(&mut errors, s),
        };
        if errors.is_empty() {
            Ok(Self {
                url,
                events,
                secret,
            })
        } else {
            Err(ApiError::Validation(errors))
        }
    }
}

/// A callable URL (its name resolved too, as [`NewWebhook::parse`] says), or an error on `url`.
async fn check_url(errors: &mut Vec<FieldError>, url: &str, allow_private: bool) -> String {
    match target::parse(url, allow_private) {
        // No user information (`user:password@`): a secret in the URL would be shown in every
        // read of the subscription and logged with its deliveries; receivers verify the
        // signature instead. The message does not repeat what was given.
        Ok(url) if !url.username().is_empty() || url.password().is_some() => {
            errors.push(FieldError::new(
                "url",
                "must carry no credentials (no user:password@ before the host)",
            ));
            String::new()
        }
        Ok(url) => {
            // An unresolvable name is accepted: it may go live later, and is checked at each
            // delivery anyway.
            let resolved =
                tokio::time::timeout(RESOLVE_TIMEOUT, target::resolve(&url, allow_private)).await;
            if let Ok(Err(e @ target::TargetError::Forbidden(_))) = resolved {
                errors.push(FieldError::new("url", e.to_string()));
            }
            url.to_string()
        }
        Err(e) => {
            errors.push(FieldError::new("url", e.to_string()));
            String::new()
        }
    }
}

/// Known event types, sorted, without duplicates (`["*"]` for all), or an error on `events`.
fn check_events(errors: &mut Vec<FieldError>, events: &[String]) -> Vec<String> {
    let mut events: Vec<String> = events.iter().map(|e| e.trim().to_owned()).collect();
    events.sort();
    events.dedup();
    if events.is_empty() {
        errors.push(FieldError::new(
            "events",
            "name at least one event type, or \"*\"",
        ));
    } else if events.iter().any(|e| e == "*") {
        events = vec!["*".to_owned()];
    } else if let Some(bad) = events.iter().find(|e| !DELIVERABLE.contains(&e.as_str())) {
        errors.push(FieldError::new(
            "events",
            format!(
                "unknown event type {bad:?}; one of {}",
                DELIVERABLE.join(", ")
            ),
        ));
    }
    events
}

/// A secret of the caller's choice, or an error on `secret`.
fn check_secret(errors: &mut Vec<FieldError>, secret: String) -> String {
    // The SPEC sets no minimum: a receiver's existing secret (even a short one) is its own
    // choice; only a blank one (no key at all) or an unreasonably long one is refused.
    if !secret.trim().is_empty() && secret.chars().count() <= MAX_SECRET {
        secret
    } else {
        errors.push(FieldError::new(
            "secret",
            format!("must be 1 to {MAX_SECRET} characters, not blank"),
        ));
        String::new()
    }
}

/// What an owner's `PATCH` asks to change, valid as a registration would be; what it does not
/// name stays as it is.
#[derive(Debug, Clone)]
pub struct WebhookEdit {
    pub url: Option<String>,
    /// Sorted, without duplicates; `["*"]` for every type.
    pub events: Option<Vec<String>>,
    /// A new signing secret (the caller's, or generated for `rotate_secret`), shown once.
    pub secret: Option<String>,
    /// `true` enables a disabled endpoint with a clean record; `false` disables it (its
    /// deliveries wait, as for an endpoint disabled after failing).
    pub enabled: Option<bool>,
}

/// The fields of a `PATCH` before they are checked.
#[derive(Debug, Clone, Default)]
pub struct EditRequest {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub secret: Option<String>,
    pub rotate_secret: bool,
    pub enabled: Option<bool>,
}

impl WebhookEdit {
    /// Validates an edit with the rules of [`NewWebhook::parse`], every invalid field at once;
    /// `rotate_secret` generates the new secret, and may not come with one of the caller's.
    pub async fn parse(req: EditRequest, allow_private: bool) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        let url = match req.url {
            Some(url) => Some(check_url(&mut errors, &url, allow_private).await),
            None => None,
        };
        let events = req.events.map(|e| check_events(&mut errors, &e));
        let secret = match (req.secret, req.rotate_secret) {
            (Some(_), true) => {
                errors.push(FieldError::new(
                    "secret",
                    "give a secret or rotate_secret: true, not both",
                ));
                None
            }
            (Some(s), false) => Some(check_secret(&mut errors, s)),
            (None, true) => Some(signature::generate_secret()),
            (None, false) => None,
        };
        if errors.is_empty() {
            Ok(Self {
                url,
                events,
                secret,
                enabled: req.enabled,
            })
        } else {
            Err(ApiError::Validation(errors))
        }
    }

    /// Applies the edit to `row` at `now`, sealing a new secret with `pii`; a change makes a
    /// new version. Returns whether anything changed (an edit naming what already holds
    /// changes nothing). Enabling a disabled endpoint clears its failing run too.
    pub fn apply(&self, row: &mut SubscriptionRow, pii: &PiiCipher, now: DateTime<Utc>) -> bool {
        let mut changed = false;
        if let Some(url) = self.url.as_ref().filter(|u| **u != row.url) {
            row.url = url.clone();
            changed = true;
        }
        if let Some(events) = self.events.as_ref().filter(|e| **e != row.events) {
            row.events = events.clone();
            changed = true;
        }
        if let Some(secret) = &self.secret {
            row.secret_sealed = pii.seal(secret.as_bytes());
            changed = true;
        }
        match (self.enabled, row.disabled_at) {
            (Some(true), Some(_)) => {
                row.disabled_at = None;
                row.failing_since = None;
                changed = true;
            }
            (Some(false), None) => {
                row.disabled_at = Some(now);
                changed = true;
            }
            _ => {}
        }
        if changed {
            row.version += 1;
        }
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn with_secret(secret: &str) -> Result<NewWebhook, ApiError> {
        let events = ["*".to_owned()];
        NewWebhook::parse(
            "http://127.0.0.1:9/hook",
            &events,
            Some(secret.into()),
            true,
        )
        .await
    }

    fn refused_fields<T: std::fmt::Debug>(r: Result<T, ApiError>) -> Vec<String> {
        match r {
            Err(ApiError::Validation(errors)) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn any_non_blank_secret_up_to_256_characters_is_kept() {
        for secret in ["s3cret".to_owned(), "k".to_owned(), "é".repeat(256)] {
            let hook = with_secret(&secret).await.expect("a short secret is valid");
            assert_eq!(hook.secret, secret);
        }
    }

    #[tokio::test]
    async fn a_blank_or_overlong_secret_is_refused() {
        for secret in [String::new(), "   ".to_owned(), "x".repeat(257)] {
            assert_eq!(refused_fields(with_secret(&secret).await), ["secret"]);
        }
    }

    #[tokio::test]
    async fn a_url_carrying_credentials_is_refused() {
        let events = ["*".to_owned()];
        for url in [
            "http://user:pw@127.0.0.1:9/hook",
            "http://user@127.0.0.1:9/hook",
            "http://:pw@127.0.0.1:9/hook",
        ] {
            let refused = NewWebhook::parse(url, &events, None, true).await;
            assert_eq!(refused_fields(refused), ["url"], "{url}");
        }
    }

    #[tokio::test]
    async fn an_edit_is_checked_by_the_rules_of_a_registration() {
        let edit = |req: EditRequest| WebhookEdit::parse(req, false);
        let bad = edit(EditRequest {
            url: Some("http://169.254.169.254/latest".into()),
            events: Some(vec!["shipment.teleported".into()]),
            secret: Some("s3cret".into()),
            rotate_secret: true,
            enabled: None,
        });
        assert_eq!(refused_fields(bad.await), ["url", "events", "secret"]);
        let rotated = edit(EditRequest {
            rotate_secret: true,
            ..EditRequest::default()
        })
        .await
        .expect("a rotation is valid");
        assert!(
            rotated.secret.is_some_and(|s| s.len() >= 32),
            "a new secret"
        );
        let none = edit(EditRequest::default()).await.expect("an empty edit");
        assert!(none.url.is_none() && none.events.is_none() && none.secret.is_none());
    }
}
