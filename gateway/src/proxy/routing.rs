//! The routing table of SPEC §3: which service answers a path, whether it is public, and how
//! long it may take.

use actix_web::http::Method;
use std::time::Duration;

use crate::configuration::{ProxySettings, Upstreams};

/// Which service answers a path, and how long it may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route<'a> {
    /// The prefix that matched (the request's metrics endpoint).
    pub prefix: &'static str,
    pub upstream: &'a str,
    pub timeout: Duration,
    /// Reachable without a token (public tracking, the dashboard page).
    pub public: bool,
}

/// The routing table of SPEC §3.
pub struct Router {
    table: Vec<(&'static str, String)>,
    timeout: Duration,
    bulk_timeout: Duration,
}

impl Router {
    pub fn new(upstreams: &Upstreams, proxy: &ProxySettings) -> Self {
        let u = upstreams;
        let table = vec![
            ("/api/v1/customers", u.customers.clone()),
            ("/api/v1/follow-ups", u.customers.clone()),
            ("/api/v1/shipments", u.shipments.clone()),
            ("/api/v1/tracking", u.shipments.clone()),
            ("/api/v1/webhooks", u.shipments.clone()),
            ("/api/v1/complaints", u.complaints.clone()),
            ("/api/v1/claims", u.complaints.clone()),
            ("/api/v1/sla-policies", u.complaints.clone()),
            ("/api/v1/improvement-actions", u.complaints.clone()),
            ("/api/v1/surveys", u.complaints.clone()),
            // The complaint desk's department directory and its supervisors' inbox.
            ("/api/v1/departments", u.complaints.clone()),
            ("/api/v1/notifications", u.complaints.clone()),
            ("/api/v1/analytics", u.analytics.clone()),
            ("/dashboard", u.analytics.clone()),
        ];
        Self {
            table,
            timeout: Duration::from_millis(proxy.timeout_ms),
            bulk_timeout: Duration::from_millis(proxy.bulk_timeout_ms),
        }
    }

    /// The route for `method path`, if any service serves it.
    pub fn route(&self, method: &Method, path: &str) -> Option<Route<'_>> {
        // NOTE: SPEC §3 routes `/api/v1/tracking*` — a plain prefix, so
        // `/api/v1/tracking-events:batch` goes to shipments too.
        let &(prefix, ref upstream) = self
            .table
            .iter()
            .find(|(prefix, _)| path.starts_with(prefix))?;
        let bulk = path.ends_with(":batch") || path.starts_with("/api/v1/analytics/export");
        // Public: the tracking lookup (`/api/v1/tracking/{tn}`, not the merchants' batch), the
        // dashboard and its assets (it asks for a token in the browser), and the signed
        // one-time survey links (read and answered without an account).
        let public = match *method {
            Method::GET | Method::HEAD => {
                (path.starts_with("/api/v1/tracking/") && !path.contains(':'))
                    || prefix == "/dashboard"
                    || prefix == "/api/v1/surveys"
            }
            Method::POST => prefix == "/api/v1/surveys",
            _ => false,
        };
        Some(Route {
            prefix,
            upstream,
            timeout: if bulk {
                self.bulk_timeout
            } else {
                self.timeout
            },
            public,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::configuration::{ProxySettings, Upstreams};

    fn router() -> Router {
        Router::new(
            &Upstreams {
                customers: "c".into(),
                shipments: "s".into(),
                complaints: "k".into(),
                analytics: "a".into(),
            },
            &ProxySettings {
                connect_timeout_ms: 1,
                timeout_ms: 10,
                bulk_timeout_ms: 60,
                max_body_bytes: 1,
                shortcut: true,
            },
        )
    }

    #[test]
    fn paths_route_to_their_service_by_prefix() {
        let r = router();
        let up = |m: Method, p: &str| r.route(&m, p).map(|r| r.upstream);
        assert_eq!(up(Method::GET, "/api/v1/customers/1"), Some("c"));
        assert_eq!(up(Method::GET, "/api/v1/follow-ups"), Some("c"));
        assert_eq!(up(Method::POST, "/api/v1/tracking-events:batch"), Some("s"));
        assert_eq!(up(Method::POST, "/api/v1/tracking:batch-get"), Some("s"));
        assert_eq!(up(Method::POST, "/api/v1/webhooks/1:test"), Some("s"));
        assert_eq!(up(Method::PUT, "/api/v1/sla-policies"), Some("k"));
        assert_eq!(up(Method::GET, "/api/v1/improvement-actions"), Some("k"));
        assert_eq!(up(Method::GET, "/api/v1/claims?overdue=true"), Some("k"));
        assert_eq!(up(Method::GET, "/dashboard"), Some("a"));
        assert_eq!(up(Method::GET, "/dashboard/app.js"), Some("a"));
        assert_eq!(up(Method::GET, "/dashboard/vendor/chart.umd.js"), Some("a"));
        assert_eq!(up(Method::GET, "/api/v1/surveys/abc"), Some("k"));
        assert_eq!(up(Method::POST, "/api/v1/surveys/abc"), Some("k"));
        assert_eq!(up(Method::PUT, "/api/v1/departments/legal"), Some("k"));
        assert_eq!(up(Method::GET, "/api/v1/notifications"), Some("k"));
        assert_eq!(up(Method::GET, "/api/v2/customers"), None);
    }

    #[test]
    fn only_tracking_lookups_the_dashboard_and_survey_links_are_public() {
        let r = router();
        let public = |m: Method, p: &str| r.route(&m, p).is_some_and(|r| r.public);
        assert!(public(Method::GET, "/api/v1/tracking/KD123"));
        assert!(public(Method::GET, "/dashboard"));
        assert!(public(Method::HEAD, "/dashboard"));
        assert!(public(Method::GET, "/dashboard/app.js"));
        assert!(public(Method::GET, "/dashboard/vendor/chart.umd.js"));
        assert!(public(Method::GET, "/api/v1/surveys/tok3n"));
        assert!(public(Method::POST, "/api/v1/surveys/tok3n"));
        assert!(!public(Method::POST, "/dashboard"));
        assert!(!public(Method::DELETE, "/api/v1/surveys/tok3n"));
        assert!(!public(Method::POST, "/api/v1/complaints/1/survey"));
        assert!(!public(Method::POST, "/api/v1/tracking:batch-get"));
        assert!(!public(Method::GET, "/api/v1/tracking"));
        assert!(!public(Method::GET, "/api/v1/shipments/KD123"));
        assert!(!public(Method::POST, "/api/v1/tracking/KD123"));
    }

    #[test]
    fn batch_routes_get_the_bulk_timeout() {
        let r = router();
        let t = |p: &str| r.route(&Method::POST, p).map(|r| r.timeout);
        assert_eq!(t("/api/v1/shipments"), Some(Duration::from_millis(10)));
        assert_eq!(
            t("/api/v1/tracking-events:batch"),
            Some(Duration::from_millis(60))
        );
    }
}
