//! Who is calling when a proxy stands in front (a load balancer, the Kubernetes ingress): a
//! request whose TCP peer is one of the configured trusted proxies is taken to come from the
//! address its `X-Forwarded-For` names — read from the right, past every trusted hop, as
//! nginx's `real_ip_recursive` does — so rate limits per address, sign-in throttling and the
//! audit log see the caller, not the ingress. Applied once, to the request's head, before the
//! shortcut and the app; with no trusted proxy configured (the default) nothing changes and
//! the header is never believed.

use actix_web::dev::RequestHead;
use actix_web::http::header::X_FORWARDED_FOR;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// The configured trusted proxies.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Arc<[IpNet]>);

impl TrustedProxies {
    /// CIDRs (`10.0.0.0/8`) or single addresses (`10.1.2.3`); anything else is an error.
    pub fn parse(list: &[String]) -> anyhow::Result<Self> {
        let nets = list
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<IpNet>()
                    .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| anyhow::anyhow!("trusted proxy {s:?} is no CIDR or address"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Self(nets.into()))
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// Sets `head`'s peer address to the caller's when the peer is a trusted proxy.
    pub fn apply(&self, head: &mut RequestHead) {
        if self.0.is_empty() {
            return;
        }
        let Some(peer) = head.peer_addr.filter(|p| self.trusts(p.ip())) else {
            return;
        };
        if let Some(client) = self.client(head) {
            head.peer_addr = Some(SocketAddr::new(client, peer.port()));
        }
    }

    /// The rightmost `X-Forwarded-For` address that is no trusted proxy (or the leftmost, when
    /// every hop is trusted); `None` when the header is absent or a hop is not an address.
    fn client(&self, head: &RequestHead) -> Option<IpAddr> {
        let mut hops = Vec::new();
        for value in head.headers.get_all(X_FORWARDED_FOR) {
            for hop in value.to_str().ok()?.split(',') {
                hops.push(hop.trim().parse::<IpAddr>().ok()?);
            }
        }
        let first = *hops.first()?;
        Some(
            hops.into_iter()
                .rev()
                .find(|ip| !self.trusts(*ip))
                .unwrap_or(first),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;

    fn head(peer: &str, forwarded: &[&str]) -> RequestHead {
        let mut head = RequestHead::default();
        head.peer_addr = Some(peer.parse().expect("socket address"));
        for value in forwarded {
            head.headers.append(
                X_FORWARDED_FOR,
                HeaderValue::from_str(value).expect("value"),
            );
        }
        head
    }

    fn seen(trusted: &[&str], peer: &str, forwarded: &[&str]) -> String {
        let list: Vec<String> = trusted.iter().map(|s| s.to_string()).collect();
        let mut h = head(peer, forwarded);
        TrustedProxies::parse(&list).expect("valid").apply(&mut h);
        h.peer_addr.expect("peer").to_string()
    }

    #[test]
    fn a_trusted_proxy_names_the_caller_past_every_trusted_hop() {
        let trusted = ["10.0.0.0/8"];
        assert_eq!(
            seen(&trusted, "10.1.0.7:4000", &["203.0.113.9, 10.2.0.1"]),
            "203.0.113.9:4000"
        );
        assert_eq!(
            seen(&trusted, "10.1.0.7:4000", &["198.51.100.1", "203.0.113.9"]),
            "203.0.113.9:4000",
            "the rightmost untrusted hop: what the caller wrote on the left is not believed"
        );
        assert_eq!(
            seen(&trusted, "10.1.0.7:4000", &["10.9.9.9, 10.2.0.1"]),
            "10.9.9.9:4000",
            "every hop trusted: the first"
        );
        assert_eq!(
            seen(
                &["::ffff:10.0.0.0/104", "10.0.0.0/8"],
                "[::ffff:10.1.0.7]:4000",
                &["2001:db8::1"]
            ),
            "[2001:db8::1]:4000"
        );
    }

    #[test]
    fn an_untrusted_peer_or_a_missing_or_garbled_header_changes_nothing() {
        assert_eq!(
            seen(&["10.0.0.0/8"], "192.0.2.5:4000", &["203.0.113.9"]),
            "192.0.2.5:4000",
            "a stranger's header is not believed"
        );
        assert_eq!(
            seen(&[], "10.1.0.7:4000", &["203.0.113.9"]),
            "10.1.0.7:4000"
        );
        assert_eq!(seen(&["10.0.0.0/8"], "10.1.0.7:4000", &[]), "10.1.0.7:4000");
        assert_eq!(
            seen(&["10.0.0.0/8"], "10.1.0.7:4000", &["unknown, 203.0.113.9"]),
            "10.1.0.7:4000"
        );
    }

    #[test]
    fn only_cidrs_and_addresses_are_trusted() {
        assert!(TrustedProxies::parse(&["10.0.0.0/8".into(), "127.0.0.1".into()]).is_ok());
        assert!(TrustedProxies::parse(&["ingress".into()]).is_err());
    }
}
