//! Token-bucket rate limits (governor): per principal (proxied requests and the gateway's own
//! authenticated routes, [`own_routes`]), and per client IP on public tracking.
//! Limits are per gateway replica. Answers carry `RateLimit-Limit/Remaining/Reset`; a refused
//! request gets `429` with `Retry-After`.

use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use kuaidi_shared::auth::bearer_in;
use kuaidi_shared::ApiError;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};

type Keyed =
    RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock, StateInformationMiddleware>;

/// One family of buckets (`None` when the limit is off).
pub struct Limiter {
    limit: u32,
    inner: Option<Keyed>,
    /// Checks since the buckets were last swept (counting buckets locks every shard).
    checks: AtomicU32,
}

/// How many checks pass between two looks at the number of buckets.
const SWEEP_EVERY: u32 = 4096;

/// What a check decided, for the response headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Unlimited,
    Allowed {
        limit: u32,
        remaining: u32,
        reset_secs: u64,
    },
    Refused {
        limit: u32,
        retry_after_secs: u64,
    },
}

impl Limiter {
    /// `per_second` sustained with a burst of `burst`; 0 turns the limit off.
    pub fn new(per_second: u32, burst: u32) -> Self {
        let inner = NonZeroU32::new(per_second).map(|rate| {
            let burst = NonZeroU32::new(burst.max(per_second)).unwrap_or(rate);
            RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst))
                .with_middleware::<StateInformationMiddleware>()
        });
        Self {
            limit: burst.max(per_second),
            inner,
            checks: AtomicU32::new(0),
        }
    }

    pub fn check(&self, key: &str) -> Decision {
        self.check_with(|| key.to_owned())
    }

    /// [`Limiter::check`] for the key `key` makes, made only when the limit is on.
    pub fn check_with(&self, key: impl FnOnce() -> String) -> Decision {
        let Some(limiter) = &self.inner else {
            return Decision::Unlimited;
        };
        if self
            .checks
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(SWEEP_EVERY)
            && limiter.len() > 100_000
        {
            limiter.retain_recent();
        }
        match limiter.check_key(&key()) {
            Ok(snapshot) => Decision::Allowed {
                limit: self.limit,
                remaining: snapshot.remaining_burst_capacity(),
                reset_secs: 1,
            },
            Err(not_until) => {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                Decision::Refused {
                    limit: self.limit,
                    retry_after_secs: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
                }
            }
        }
    }
}

/// The bucket key of a request's source address: the IPv4 address, or the /64 of an IPv6 one
/// (one subscriber usually holds a whole /64, so per-address keys would be free to rotate).
pub fn address_key(peer: Option<std::net::SocketAddr>) -> String {
    match peer.map(|a| a.ip()) {
        Some(std::net::IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Some(std::net::IpAddr::V6(v6)) => v6
            .to_ipv4_mapped()
            .map(|v4| v4.to_string())
            .unwrap_or_default(),
        Some(ip) => ip.to_string(),
        None => String::new(),
    }
}

/// The per-principal limit on the gateway's own authenticated routes (customer tokens,
/// administration), as on proxied ones, with the same headers: a middleware on those routes.
/// A request whose token does not verify passes on, for its handler to refuse.
pub async fn own_routes(
    mut req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<actix_web::body::BoxBody>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let proxy = req
        .app_data::<actix_web::web::Data<crate::proxy::Proxy>>()
        .cloned();
    let principal = req.extract::<kuaidi_shared::auth::Principal>().await;
    let Some(proxy) = proxy else {
        return next.call(req).await;
    };
    let principal = match principal {
        Ok(p) => p,
        Err(_) => match api_key_caller(&mut req, &proxy).await {
            Some(refused) => return Ok(req.error_response(refused)),
            None => return next.call(req).await,
        },
    };
    if let Err(refused) = proxy.edge.still_valid(&principal).await {
        return Ok(req.error_response(refused));
    }
    let decision = proxy.limits.per_principal.check(&principal.sub);
    if let Decision::Refused {
        limit,
        retry_after_secs,
    } = decision
    {
        let refused = ApiError::TooManyRequests {
            retry_after_secs,
            limit,
        };
        return Ok(req.error_response(refused));
    }
    let mut res = next.call(req).await?;
    decision.set_headers(res.headers_mut());
    Ok(res)
}

/// An API key is a merchant's credential on the gateway's own routes too: a valid one (and no
/// bearer token) is an authenticated merchant, audited, who may not (`403`), not a caller
/// without credentials (`401`, which the route's handler answers).
async fn api_key_caller(
    req: &mut actix_web::dev::ServiceRequest,
    proxy: &crate::proxy::Proxy,
) -> Option<ApiError> {
    if bearer_in(req.headers()).is_some() {
        return None;
    }
    let ctx = req
        .extract::<kuaidi_shared::request::RequestContext>()
        .await
        .ok()?;
    let caller = proxy.edge.resolve(req.headers()).await.ok()??;
    if let Some(entry) = caller.key_exchange() {
        proxy.auditor.record_for(req.peer_addr(), &ctx, entry).await;
    }
    let role = caller.principal.role.as_str();
    Some(ApiError::Forbidden(format!("role {role} may not do this")))
}

impl Decision {
    /// Sets the `RateLimit-*` headers of this decision on `headers`.
    pub fn set_headers(&self, headers: &mut actix_web::http::header::HeaderMap) {
        use actix_web::http::header::{HeaderName, HeaderValue};
        let (limit, remaining, reset) = match *self {
            Decision::Unlimited => return,
            Decision::Allowed {
                limit,
                remaining,
                reset_secs,
            } => (limit, remaining, reset_secs),
            Decision::Refused {
                limit,
                retry_after_secs,
            } => (limit, 0, retry_after_secs),
        };
        for (name, value) in [
            ("ratelimit-limit", HeaderValue::from(limit)),
            ("ratelimit-remaining", HeaderValue::from(remaining)),
            ("ratelimit-reset", HeaderValue::from(reset)),
        ] {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_burst_is_served_then_refused_with_a_retry_after() {
        let l = Limiter::new(1, 3);
        for expected_remaining in [2, 1, 0] {
            assert!(
                matches!(l.check("k"), Decision::Allowed { remaining, .. } if remaining == expected_remaining)
            );
        }
        assert!(matches!(
            l.check("k"),
            Decision::Refused {
                retry_after_secs: 1,
                ..
            }
        ));
        assert!(
            matches!(l.check("other"), Decision::Allowed { .. }),
            "buckets are per key"
        );
    }

    #[test]
    fn ipv6_addresses_share_a_bucket_per_64_and_ipv4_per_address() {
        let key = |addr: &str| {
            let req = actix_web::test::TestRequest::default()
                .peer_addr(addr.parse().expect("socket address"))
                .to_http_request();
            address_key(req.peer_addr())
        };
        assert_eq!(key("[2001:db8:1:2:aaaa::1]:1"), "2001:db8:1:2::/64");
        assert_eq!(key("[2001:db8:1:2:bbbb::9]:2"), key("[2001:db8:1:2::5]:3"));
        assert_ne!(key("[2001:db8:1:3::1]:1"), key("[2001:db8:1:2::1]:1"));
        assert_eq!(key("203.0.113.7:80"), "203.0.113.7");
        assert_eq!(key("[::ffff:203.0.113.7]:80"), "203.0.113.7");
    }

    #[test]
    fn a_decision_sets_the_ratelimit_headers_and_an_unlimited_one_none() {
        let mut headers = actix_web::http::header::HeaderMap::new();
        Decision::Unlimited.set_headers(&mut headers);
        assert!(headers.is_empty());
        Decision::Allowed {
            limit: 20,
            remaining: 19,
            reset_secs: 1,
        }
        .set_headers(&mut headers);
        assert_eq!(
            headers.get("ratelimit-limit").map(|v| v.as_bytes()),
            Some(&b"20"[..])
        );
        assert_eq!(
            headers.get("ratelimit-remaining").map(|v| v.as_bytes()),
            Some(&b"19"[..])
        );
        assert_eq!(
            headers.get("ratelimit-reset").map(|v| v.as_bytes()),
            Some(&b"1"[..])
        );
        Decision::Refused {
            limit: 20,
            retry_after_secs: 3,
        }
        .set_headers(&mut headers);
        assert_eq!(
            headers.get("ratelimit-remaining").map(|v| v.as_bytes()),
            Some(&b"0"[..])
        );
        assert_eq!(
            headers.get("ratelimit-reset").map(|v| v.as_bytes()),
            Some(&b"3"[..])
        );
    }

    #[test]
    fn zero_turns_the_limit_off() {
        let l = Limiter::new(0, 0);
        for _ in 0..1000 {
            assert_eq!(l.check("k"), Decision::Unlimited);
        }
    }
}
