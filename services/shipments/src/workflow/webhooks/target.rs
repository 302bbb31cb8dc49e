//! Which URLs a webhook may call (SSRF rules of SPEC §5): http(s) only; link-local, cloud
//! metadata (also where a provider puts it outside link-local: [`CLOUD_METADATA_V4`],
//! [`CLOUD_METADATA_V6`]), unspecified, broadcast and multicast addresses never; loopback and
//! private ranges only when configured. Checked at registration and again on the resolved address before each
//! attempt, so a DNS name re-pointed at an internal address is still refused.

use reqwest::Url;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Why a target was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("must be an absolute http or https URL")]
    NotHttp,
    #[error("must name a host")]
    NoHost,
    /// The address stays in the variant (logs) but never in the message: a client must not
    /// learn what an internal name resolves to.
    #[error("resolves to an address webhooks may not call")]
    Forbidden(IpAddr),
    /// Why resolution failed stays in the variant for logs; the message is generic.
    #[error("could not be resolved")]
    Unresolvable(String),
}

/// How an address may be used as a webhook target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Public,
    /// Loopback or private: allowed only by configuration.
    Private,
    /// Link-local, cloud metadata, unspecified, broadcast, multicast: never.
    Never,
}

/// Cloud metadata and platform endpoints outside 169.254.0.0/16, refused whatever the
/// configuration (SPEC §5): allowing private targets must not open them.
pub const CLOUD_METADATA_V4: [Ipv4Addr; 3] = [
    // Alibaba Cloud instance metadata (in 100.64.0.0/10, otherwise "private").
    Ipv4Addr::new(100, 100, 100, 200),
    // Azure WireServer (platform agent and extension configuration).
    Ipv4Addr::new(168, 63, 129, 16),
    // Oracle Cloud Classic instance metadata.
    Ipv4Addr::new(192, 0, 0, 192),
];

/// IPv6 cloud metadata endpoints (in fc00::/7, otherwise "private").
pub const CLOUD_METADATA_V6: [Ipv6Addr; 1] = [
    // AWS instance metadata service over IPv6 (Nitro).
    Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254),
];

fn class_v4(ip: Ipv4Addr) -> Class {
    let o = ip.octets();
    if ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || CLOUD_METADATA_V4.contains(&ip)
    {
        Class::Never
    } else if ip.is_loopback()
        || ip.is_private()
        // 100.64.0.0/10, carrier-grade NAT: internal to a provider's network.
        || (o[0] == 100 && (o[1] & 0xc0) == 64)
    {
        Class::Private
    } else {
        Class::Public
    }
}

/// The IPv4 address an IPv6 address carries by translation: IPv4-mapped, NAT64
/// (`64:ff9b::/96`) or 6to4 (`2002::/16`); such an address reaches that IPv4 host.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = ip.segments();
    let v4 = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    match s {
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => Some(v4(hi, lo)),
        [0x2002, hi, lo, ..] => Some(v4(hi, lo)),
        _ => None,
    }
}

fn class_v6(ip: Ipv6Addr) -> Class {
    if let Some(v4) = embedded_v4(ip) {
        return class_v4(v4);
    }
    let first = ip.segments()[0];
    if ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xffc0) == 0xfe80
        || CLOUD_METADATA_V6.contains(&ip)
    {
        Class::Never
    } else if ip.is_loopback() || (first & 0xfe00) == 0xfc00 {
        Class::Private
    } else {
        Class::Public
    }
}

/// Whether a webhook may call `ip`.
pub fn ip_allowed(ip: IpAddr, allow_private: bool) -> bool {
    let class = match ip {
        IpAddr::V4(v4) => class_v4(v4),
        IpAddr::V6(v6) => class_v6(v6),
    };
    match class {
        Class::Public => true,
        Class::Private => allow_private,
        Class::Never => false,
    }
}

/// Parses a webhook URL: absolute, http(s), with a host; an IP-literal host must be allowed.
pub fn parse(url: &str, allow_private: bool) -> Result<Url, TargetError> {
    let parsed = Url::parse(url.trim()).map_err(|_| TargetError::NotHttp)?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(TargetError::NotHttp);
    }
    let host = parsed.host_str().ok_or(TargetError::NoHost)?;
    if host.is_empty() {
        return Err(TargetError::NoHost);
    }
    // An IPv6 literal comes bracketed from `host_str`.
    if let Ok(ip) = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    {
        check(ip, allow_private)?;
    }
    Ok(parsed)
}

fn check(ip: IpAddr, allow_private: bool) -> Result<(), TargetError> {
    if ip_allowed(ip, allow_private) {
        Ok(())
    } else {
        Err(TargetError::Forbidden(ip))
    }
}

/// Resolves the URL's host and returns an address to connect to, refusing the target when any
/// of its addresses is forbidden (a name must not mix public and internal addresses).
pub async fn resolve(url: &Url, allow_private: bool) -> Result<SocketAddr, TargetError> {
    let port = url.port_or_known_default().ok_or(TargetError::NotHttp)?;
    let host = url.host_str().ok_or(TargetError::NoHost)?;
    // An IPv6 literal comes bracketed from `host_str`.
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| TargetError::Unresolvable(e.to_string()))?
        .collect();
    for a in &addrs {
        check(a.ip(), allow_private)?;
    }
    addrs
        .into_iter()
        .next()
        .ok_or_else(|| TargetError::Unresolvable("no addresses".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("an IP address")
    }

    #[test]
    fn link_local_and_unspecified_are_never_allowed() {
        for a in [
            "169.254.169.254",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "fe80::1",
            "::",
            "::ffff:169.254.169.254",
        ] {
            assert!(!ip_allowed(ip(a), true), "{a} must always be refused");
        }
    }

    #[test]
    fn cloud_metadata_outside_link_local_is_never_allowed() {
        for a in [
            "100.100.100.200",
            "fd00:ec2::254",
            "168.63.129.16",
            "192.0.0.192",
            "::ffff:100.100.100.200",
            "64:ff9b::6464:64c8",
        ] {
            assert!(
                !ip_allowed(ip(a), true),
                "{a} refused even when private is allowed"
            );
            assert!(!ip_allowed(ip(a), false), "{a} refused by default");
        }
        assert!(matches!(
            parse("http://[fd00:ec2::254]/latest/meta-data", true),
            Err(TargetError::Forbidden(_))
        ));
        assert!(matches!(
            parse("http://100.100.100.200/latest/meta-data", true),
            Err(TargetError::Forbidden(_))
        ));
        assert!(
            ip_allowed(ip("100.100.100.201"), true),
            "its neighbours stay private"
        );
        assert!(ip_allowed(ip("fd00:ec2::253"), true));
    }

    #[test]
    fn loopback_and_private_need_configuration() {
        for a in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "::ffff:10.1.2.3",
        ] {
            assert!(!ip_allowed(ip(a), false), "{a} refused by default");
            assert!(ip_allowed(ip(a), true), "{a} allowed when configured");
        }
    }

    #[test]
    fn nat64_and_6to4_addresses_embedding_internal_ipv4_count_as_internal() {
        assert!(
            !ip_allowed(ip("64:ff9b::a00:1"), false),
            "NAT64 of 10.0.0.1"
        );
        assert!(
            !ip_allowed(ip("64:ff9b::7f00:1"), false),
            "NAT64 of 127.0.0.1"
        );
        assert!(
            !ip_allowed(ip("64:ff9b::a9fe:a9fe"), true),
            "NAT64 of 169.254.169.254"
        );
        assert!(
            !ip_allowed(ip("2002:c0a8:101::1"), false),
            "6to4 of 192.168.1.1"
        );
        assert!(
            !ip_allowed(ip("2002:a9fe:a9fe::"), true),
            "6to4 of the metadata address"
        );
        assert!(
            ip_allowed(ip("64:ff9b::808:808"), false),
            "NAT64 of 8.8.8.8 is public"
        );
        assert!(
            ip_allowed(ip("2002:808:808::1"), false),
            "6to4 of 8.8.8.8 is public"
        );
    }

    #[test]
    fn refusals_never_name_the_resolved_address() {
        let refused = TargetError::Forbidden(ip("10.1.2.3")).to_string();
        assert!(!refused.contains("10.1.2.3"), "{refused}");
        let unresolved = TargetError::Unresolvable("lookup of internal.corp failed".into());
        assert!(!unresolved.to_string().contains("internal.corp"));
    }

    #[test]
    fn public_addresses_are_allowed() {
        for a in ["93.184.216.34", "172.32.0.1", "2606:4700::1111"] {
            assert!(ip_allowed(ip(a), false), "{a} is public");
        }
    }

    #[test]
    fn only_http_urls_with_a_host_parse() {
        assert_eq!(
            parse("ftp://example.com/x", true),
            Err(TargetError::NotHttp)
        );
        assert_eq!(parse("not a url", true), Err(TargetError::NotHttp));
        assert!(parse("https://example.com/hook", false).is_ok());
        assert!(matches!(
            parse("http://[::1]:8080/", false),
            Err(TargetError::Forbidden(_))
        ));
        assert!(matches!(
            parse("http://169.254.169.254/latest/meta-data", true),
            Err(TargetError::Forbidden(_))
        ));
    }
}
