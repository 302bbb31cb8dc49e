//! A webhook registration parsed at the edge: a callable URL, known event types, a secret.

use kuaidi_shared::{ApiError, FieldError};

use super::{signature, target, DELIVERABLE};

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
        let url = match target::parse(url, allow_private) {
            Ok(url) => {
                // An unresolvable name is accepted: it may go live later, and is checked at
                // each delivery anyway.
                let resolved =
                    tokio::time::timeout(RESOLVE_TIMEOUT, target::resolve(&url, allow_private))
                        .await;
                if let Ok(Err(e @ target::TargetError::Forbidden(_))) = resolved {
                    errors.push(FieldError::new("url", e.to_string()));
                }
                url.to_string()
            }
            Err(e) => {
                errors.push(FieldError::new("url", e.to_string()));
                String::new()
            }
        };
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
        // The SPEC sets no minimum: a receiver's existing secret (even a short one) is its own
        // choice; only a blank one (no key at all) or an unreasonably long one is refused.
        let secret = match secret {
            None => signature::generate_secret(),
            Some(s) if !s.trim().is_empty() && s.chars().count() <= MAX_SECRET => s,
            Some(_) => {
                errors.push(FieldError::new(
                    "secret",
                    format!("must be 1 to {MAX_SECRET} characters, not blank"),
                ));
                String::new()
            }
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

    fn refused_fields(r: Result<NewWebhook, ApiError>) -> Vec<String> {
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
}
