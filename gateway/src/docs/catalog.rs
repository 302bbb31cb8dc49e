//! The merged document, kept current: fetched from every service at start and refreshed
//! periodically. A service that does not answer keeps its last document and is marked in the
//! merged one (`x-kuaidi-unavailable`), so the API's description never loses a service to a
//! restart.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use super::merge::{merged, Part};
use super::ordered::Json;
use crate::configuration::Upstreams;
use kuaidi_shared::clock::Clock;

/// How long one service may take to answer `/openapi.json`.
const FETCH_TIMEOUT: Duration = Duration::from_secs(2);
/// How often the documents are fetched again.
pub const REFRESH_EVERY: Duration = Duration::from_secs(60);
/// How soon a service that did not answer is asked again (a service still starting when the
/// gateway did must not be missing from the document for a whole [`REFRESH_EVERY`]).
pub const RETRY_MISSING_EVERY: Duration = Duration::from_secs(2);

/// The gateway's own document and the last one of each service.
pub struct Catalog {
    own: Json,
    services: Vec<(&'static str, String)>,
    state: RwLock<State>,
    client: reqwest::Client,
    clock: Clock,
}

#[derive(Default)]
struct State {
    last: HashMap<&'static str, Json>,
    unavailable: HashMap<&'static str, String>,
    merged: Arc<Vec<u8>>,
    refreshed_at: Option<DateTime<Utc>>,
}

/// How soon after a refresh a reader of a document missing a service may ask again itself.
const ASK_AGAIN_AFTER: chrono::TimeDelta = chrono::TimeDelta::milliseconds(250);

impl Catalog {
    /// A catalogue of `own` and the services' documents, none fetched yet; `client` fetches
    /// them.
    pub fn new(
        own: &utoipa::openapi::OpenApi,
        upstreams: &Upstreams,
        client: reqwest::Client,
        clock: Clock,
    ) -> anyhow::Result<Self> {
        let own = Json::parse(&serde_json::to_vec(own)?)?;
        let services = vec![
            ("customers", upstreams.customers.clone()),
            ("shipments", upstreams.shipments.clone()),
            ("complaints", upstreams.complaints.clone()),
            ("analytics", upstreams.analytics.clone()),
        ];
        let catalog = Self {
            own,
            services,
            state: RwLock::new(State::default()),
            client,
            clock,
        };
        catalog.remerge();
        Ok(catalog)
    }

    /// Refreshes when it is time: every [`REFRESH_EVERY`], and at once while a service is
    /// missing (not fetched yet, or not answering). Returns how many services answered (0 when
    /// it was not time).
    pub async fn refresh_if_due(&self, now: DateTime<Utc>) -> usize {
        if self.is_due(now) {
            self.refresh(now).await
        } else {
            0
        }
    }

    fn is_due(&self, now: DateTime<Utc>) -> bool {
        let Ok(state) = self.state.read() else {
            return true;
        };
        let every = chrono::Duration::from_std(REFRESH_EVERY).unwrap_or_default();
        self.missing(&state) || state.refreshed_at.is_none_or(|at| now - at >= every)
    }

    fn missing(&self, state: &State) -> bool {
        !state.unavailable.is_empty() || state.last.len() < self.services.len()
    }

    /// The merged document, asking the missing services again first (unless that was just
    /// done): a reader right after start-up gets every service that is up by then, not the
    /// document of a moment before one of them was.
    pub async fn complete_document(&self) -> Arc<Vec<u8>> {
        let now = self.clock.now();
        let ask = self.state.read().is_ok_and(|s| {
            self.missing(&s) && s.refreshed_at.is_none_or(|at| now - at >= ASK_AGAIN_AFTER)
        });
        if ask {
            self.refresh(now).await;
        }
        self.document()
    }

    /// Fetches every service's document at once; returns how many answered.
    pub async fn refresh(&self, now: DateTime<Utc>) -> usize {
        let client = &self.client;
        let fetches = self
            .services
            .iter()
            .map(|(name, base)| async move { (*name, fetch(client, base).await) });
        let results = futures_util::future::join_all(fetches).await;
        let answered = results.iter().filter(|(_, r)| r.is_ok()).count();
        if let Ok(mut state) = self.state.write() {
            state.refreshed_at = Some(now);
            for (name, result) in results {
                match result {
                    Ok(doc) => {
                        state.last.insert(name, doc);
                        state.unavailable.remove(name);
                    }
                    Err(e) => {
                        tracing::warn!(service = name, error = %e, "service OpenAPI document unavailable");
                        let since = format!("unavailable since {}", now.to_rfc3339());
                        state.unavailable.entry(name).or_insert(since);
                    }
                }
            }
        }
        self.remerge();
        answered
    }

    /// The merged document (compact JSON).
    pub fn document(&self) -> Arc<Vec<u8>> {
        self.state
            .read()
            .map(|s| s.merged.clone())
            .unwrap_or_default()
    }

    fn remerge(&self) {
        let Ok(mut state) = self.state.write() else {
            return;
        };
        let parts = self
            .services
            .iter()
            .map(|(name, _)| {
                let doc = state.last.get(name).cloned();
                let unavailable = match (&doc, state.unavailable.get(name)) {
                    (_, Some(why)) => Some(why.clone()),
                    (None, None) => Some("not fetched yet".to_owned()),
                    (Some(_), None) => None,
                };
                Part {
                    service: name,
                    doc,
                    unavailable,
                }
            })
            .collect();
        let mut doc = merged(self.own.clone(), parts);
        super::edge::document_the_edge(&mut doc);
        state.merged = Arc::new(serde_json::to_vec(&doc).unwrap_or_default());
    }
}

async fn fetch(client: &reqwest::Client, base: &str) -> anyhow::Result<Json> {
    let resp = client
        .get(format!("{base}/openapi.json"))
        .timeout(FETCH_TIMEOUT)
        .send()
        .await?
        .error_for_status()?;
    Ok(Json::parse(&resp.bytes().await?)?)
}

/// `GET /openapi.json`: the whole API's document.
pub async fn serve(catalog: web::Data<Catalog>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(catalog.complete_document().await.as_ref().clone())
}
