//! One backend service running for one test: its own database (cloned from a migrated
//! template), its own broker namespace, a clock the test may move, and request helpers.

use diesel_migrations::EmbeddedMigrations;
use reqwest::{Method, RequestBuilder, Response};
use serde_json::Value;
use std::future::Future;
use uuid::Uuid;

use super::{migrated_database, TestEnv};
use crate::app::{Application, RunningApp};
use crate::auth::Role;
use crate::clock::Clock;
use crate::settings::ServiceSettings;

/// A service under test.
pub struct TestApp {
    pub env: TestEnv,
    pub app: RunningApp,
    pub clock: Clock,
}

/// A service's `startup::build`: its settings in, the application out.
pub trait Build {
    fn build(self, settings: ServiceSettings) -> impl Future<Output = anyhow::Result<Application>>;
}

impl<F, Fut> Build for F
where
    F: FnOnce(ServiceSettings) -> Fut,
    Fut: Future<Output = anyhow::Result<Application>>,
{
    fn build(self, settings: ServiceSettings) -> impl Future<Output = anyhow::Result<Application>> {
        self(settings)
    }
}

impl TestApp {
    /// Starts the service built by `build` (its `startup::build`) on the system clock.
    pub async fn spawn(label: &str, migrations: EmbeddedMigrations, build: impl Build) -> Self {
        Self::spawn_in(TestEnv::new(), label, migrations, Clock::system(), build).await
    }

    /// Starts the service on a manual `clock`, with every background job ticking each 100 ms,
    /// so moving the clock is seen by the jobs within a tick.
    pub async fn spawn_with_clock(
        label: &str,
        migrations: EmbeddedMigrations,
        clock: Clock,
        build: impl Build,
    ) -> Self {
        Self::spawn_in(TestEnv::new(), label, migrations, clock, build).await
    }

    /// Starts the service in an existing test environment (several services on one exchange).
    pub async fn spawn_in(
        env: TestEnv,
        label: &str,
        migrations: EmbeddedMigrations,
        clock: Clock,
        build: impl Build,
    ) -> Self {
        let mut settings = env.settings_with(migrated_database(label, migrations));
        if clock.is_manual() {
            settings.jobs.tick_ms = Some(100);
        }
        settings.clock = clock.clone();
        let app = build
            .build(settings)
            .await
            .unwrap_or_else(|e| panic!("{label} service builds: {e:#}"))
            .spawn();
        Self { env, app, clock }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.app.url())
    }

    /// A request to `path` with `token` as bearer.
    pub fn request(&self, method: Method, path: &str, token: &str) -> RequestBuilder {
        self.env
            .http
            .request(method, self.url(path))
            .bearer_auth(token)
    }

    pub async fn get(&self, token: &str, path: &str) -> Response {
        send(self.request(Method::GET, path, token)).await
    }

    /// A conditional GET: `If-None-Match: etag`.
    pub async fn revalidate(&self, token: &str, path: &str, etag: &str) -> Response {
        send(
            self.request(Method::GET, path, token)
                .header("if-none-match", etag),
        )
        .await
    }

    pub async fn post(&self, token: &str, path: &str, body: &Value) -> Response {
        send(self.request(Method::POST, path, token).json(body)).await
    }

    pub async fn put(&self, token: &str, path: &str, body: &Value) -> Response {
        send(self.request(Method::PUT, path, token).json(body)).await
    }

    pub async fn patch(&self, token: &str, path: &str, body: &Value) -> Response {
        send(self.request(Method::PATCH, path, token).json(body)).await
    }

    /// POSTs `raw` as a JSON body: text `serde_json::Value` cannot hold (a lone surrogate
    /// escape) or a body of the wrong JSON type.
    pub async fn post_raw(&self, token: &str, path: &str, raw: &str) -> Response {
        let request = self.request(Method::POST, path, token);
        send(
            request
                .header("content-type", "application/json")
                .body(raw.to_owned()),
        )
        .await
    }

    pub async fn delete(&self, token: &str, path: &str) -> Response {
        send(self.request(Method::DELETE, path, token)).await
    }

    /// A token for a staff or system role.
    pub fn token(&self, role: Role) -> String {
        self.env.token(role, None)
    }

    /// A merchant's token.
    pub fn merchant(&self, id: Uuid) -> String {
        self.env.token(Role::Merchant, Some(id))
    }
}

async fn send(request: RequestBuilder) -> Response {
    request
        .send()
        .await
        .unwrap_or_else(|e| panic!("request failed: {e}"))
}

/// Sends `request` and reads its answer as JSON, whatever its status (a test that cares
/// checks it with [`expect_json`]).
pub async fn send_json(request: RequestBuilder) -> Value {
    body_json(send(request).await).await
}

/// Reads a response as JSON, whatever its status.
pub async fn body_json(response: Response) -> Value {
    response
        .json()
        .await
        .unwrap_or_else(|e| panic!("not JSON: {e}"))
}

/// Reads a response as JSON after checking its status, naming both in the failure.
pub async fn expect_json(response: Response, status: u16) -> Value {
    let got = response.status().as_u16();
    let body = response.text().await.unwrap_or_default();
    assert_eq!(got, status, "unexpected status; body: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

/// Reads a problem document after checking its status and its `application/problem+json`
/// type.
pub async fn expect_problem(response: Response, status: u16) -> Value {
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let problem = expect_json(response, status).await;
    assert_eq!(content_type, crate::problem::PROBLEM_JSON, "{problem}");
    problem
}

/// Checks the answer to a method `path` does not take (SPEC §2, `crate::methods`): `405`
/// problem+json about `path`, with `Allow: allow`. Answers the problem.
pub async fn expect_not_allowed(response: Response, path: &str, allow: &str) -> Value {
    let allowed = response.headers().get("allow").cloned();
    let problem = expect_problem(response, 405).await;
    let allowed = allowed.as_ref().and_then(|v| v.to_str().ok());
    assert_eq!(allowed, Some(allow), "{path}: {problem}");
    assert_eq!(problem["code"], "method_not_allowed", "{path}: {problem}");
    assert_eq!(problem["instance"], path, "{path}: {problem}");
    problem
}

/// The `field`s a `422` problem document names in `errors`, in order.
pub async fn refused_fields(response: Response) -> Vec<String> {
    let problem = expect_problem(response, 422).await;
    assert_eq!(problem["status"], 422, "{problem}");
    strings(&problem["errors"], "field")
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// The `field` of each element of the JSON array `list` that is a string there, in order
/// (`strings(&page["data"], "id")`); panics when `list` is no array.
pub fn strings<'a>(list: &'a Value, field: &str) -> Vec<&'a str> {
    list.as_array()
        .unwrap_or_else(|| panic!("an array was expected: {list}"))
        .iter()
        .filter_map(|e| e[field].as_str())
        .collect()
}

/// Checks the edge guard's refusal (SPEC §2, `crate::input`): `422` problem+json naming
/// `fields` as holding unstorable text, or `body` as not a JSON object.
pub async fn expect_refused_fields(response: Response, fields: &[&str]) {
    let problem = expect_problem(response, 422).await;
    // Named by the guard (`crate::input`), not by a handler's own validation.
    let guard = [crate::input::UNSTORABLE, crate::input::NOT_AN_OBJECT];
    let named: Vec<&str> = problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter(|e| guard.iter().any(|m| e["message"] == *m))
                .filter_map(|e| e["field"].as_str())
                .collect()
        })
        .unwrap_or_default();
    for field in fields {
        assert!(
            named.contains(field),
            "{field} not named by the guard in {problem}"
        );
    }
}
