//! What every Kuaidi service shares: settings, the database pool, RFC 9457 errors, cursor
//! pagination, request context and telemetry, JWT verification, PII sealing, and the event bus
//! (CloudEvents over RabbitMQ with a transactional outbox and idempotent consumers).

pub mod app;
pub mod auth;
pub mod capabilities;
pub mod clock;
pub mod crypto;
pub mod db;
pub mod deps;
pub mod events;
pub mod extract;
pub mod http;
pub mod http_front;
pub mod http_metrics;
pub mod http_span;
pub mod input;
pub mod jobs;
pub mod management;
pub mod methods;
pub mod money;
pub mod openapi;
pub mod pagination;
pub mod paths;
pub mod problem;
pub mod projections;
pub mod request;
pub mod settings;
pub mod telemetry;
pub mod vocabulary;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use problem::{ApiError, FieldError};
