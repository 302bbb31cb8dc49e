//! Why an attempt got no HTTP answer, in the few words an endpoint's owner reads in the
//! `last_error` of its deliveries: enough to fix their side (a refused connection, a timeout, a
//! name that does not resolve, a certificate), never a view of our network (no address, no
//! resolver's or library's message). The whole error goes to the log.

use std::error::Error as _;
use std::io::ErrorKind;
use std::time::Duration;

use super::target::TargetError;

/// Why nothing was received from the endpoint.
// NOTE: shown to merchants as `last_error` (and listed in its API description): keep them short,
// and free of anything about our network.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    /// SSRF: the name resolves to an address webhooks may not call (checked before each attempt).
    #[error("target address not allowed")]
    Forbidden,
    #[error("host name could not be resolved")]
    Unresolvable,
    #[error("invalid URL")]
    InvalidUrl,
    #[error("connection refused")]
    Refused,
    #[error("connection reset")]
    Reset,
    #[error("host unreachable")]
    Unreachable,
    /// The TLS handshake failed: a certificate not trusted or not for the host, or no TLS.
    #[error("TLS handshake failed")]
    Tls,
    #[error("could not connect")]
    Connect,
    #[error("timed out after {} s", .0.as_secs_f64())]
    TimedOut(Duration),
    /// Connected, but the connection ended without an HTTP answer.
    #[error("no HTTP answer")]
    NoAnswer,
    /// Our side could not send it (its signing secret unreadable, say): nothing for the owner to fix.
    #[error("not sent: internal error")]
    Internal,
}

impl From<TargetError> for Failure {
    fn from(e: TargetError) -> Self {
        match e {
            TargetError::Forbidden(_) => Self::Forbidden,
            TargetError::Unresolvable(_) => Self::Unresolvable,
            TargetError::NotHttp | TargetError::NoHost => Self::InvalidUrl,
        }
    }
}

impl Failure {
    /// Why a request sent with a `timeout` got no answer; `https` when TLS was spoken.
    pub fn of_request(e: &reqwest::Error, timeout: Duration, https: bool) -> Self {
        if e.is_timeout() {
            return Self::TimedOut(timeout);
        }
        match (io_kind(e), e.is_connect()) {
            (Some(ErrorKind::ConnectionRefused), _) => Self::Refused,
            (Some(ErrorKind::TimedOut), _) => Self::TimedOut(timeout),
            (Some(ErrorKind::HostUnreachable | ErrorKind::NetworkUnreachable), _) => {
                Self::Unreachable
            }
            // rustls reports what it refused (a certificate, a message that is not TLS) as
            // invalid data.
            (Some(ErrorKind::InvalidData), true) if https => Self::Tls,
            (
                Some(
                    ErrorKind::ConnectionReset
                    | ErrorKind::ConnectionAborted
                    | ErrorKind::BrokenPipe,
                ),
                _,
            ) => Self::Reset,
            (_, true) => Self::Connect,
            (_, false) => Self::NoAnswer,
        }
    }
}

/// The kind of the innermost I/O error in `e`'s chain of causes that says more than `Other`,
/// if any (a TLS refusal comes as invalid data wrapped in an `Other`).
fn io_kind(e: &reqwest::Error) -> Option<ErrorKind> {
    let mut kind = None;
    let mut cause = e.source();
    while let Some(c) = cause {
        cause = match c.downcast_ref::<std::io::Error>() {
            Some(io) => {
                if io.kind() != ErrorKind::Other {
                    kind = Some(io.kind());
                }
                // An I/O error's `source` skips the error it wraps.
                match io.get_ref() {
                    Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
                    None => c.source(),
                }
            }
            None => c.source(),
        };
    }
    kind
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::IpAddr;

    #[test]
    fn the_messages_are_short_and_name_nothing_of_our_network() {
        let forbidden = Failure::from(TargetError::Forbidden(IpAddr::from([10, 1, 2, 3])));
        assert_eq!(forbidden.to_string(), "target address not allowed");
        let unresolved = Failure::from(TargetError::Unresolvable("lookup of x.corp".into()));
        assert_eq!(unresolved.to_string(), "host name could not be resolved");
        assert_eq!(
            Failure::TimedOut(Duration::from_secs(10)).to_string(),
            "timed out after 10 s"
        );
        assert_eq!(
            Failure::TimedOut(Duration::from_millis(1_500)).to_string(),
            "timed out after 1.5 s"
        );
    }
}
