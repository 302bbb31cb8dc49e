//! Where evidence kept by reference may point (seed 002 §3.2): a web address, or a file this
//! service keeps. Anything else (`javascript:`, `data:`, `file:`, a bare word) would be stored
//! and handed to every desk that lists the case's evidence. What an uploaded file's bytes may
//! be, given the type its form declares, is [`file_type`]'s.

pub mod file_type;

use uuid::Uuid;

/// Longest URI accepted.
pub const MAX_URI: usize = 2048;

/// What a refused `uri` is told.
pub const URI_RULE: &str = "must be an absolute http:// or https:// URI with a host (no \
     credentials, no spaces, at most 2048 characters), or the download path of an uploaded \
     file, /api/v1/complaints/{id}/evidence/{evidence_id}/content";

/// Whether `uri` may be kept as the place of a piece of evidence.
pub fn acceptable_uri(uri: &str) -> bool {
    uri.chars().count() <= MAX_URI
        && !uri.chars().any(|c| c.is_whitespace() || c.is_control())
        && (web_address(uri) || download_path(uri))
}

/// An absolute `http`/`https` URI with a host (and perhaps a port), without user information.
fn web_address(uri: &str) -> bool {
    let Some((scheme, rest)) = uri.split_once("://") else {
        return false;
    };
    if !(scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")) {
        return false;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let (host, port) = match authority.strip_prefix('[') {
        // An IPv6 literal: `[2001:db8::1]`, perhaps with a port.
        Some(v6) => match v6.split_once(']') {
            Some((addr, "")) => (addr, None),
            Some((addr, tail)) => match tail.strip_prefix(':') {
                Some(port) => (addr, Some(port)),
                None => return false,
            },
            None => return false,
        },
        None => match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    // No user information (`user:password@`): credentials have no place in a case file.
    let host_ok = !host.is_empty()
        && !host.chars().any(|c| {
            matches!(
                c,
                '@' | '[' | ']' | '<' | '>' | '"' | '\\' | '^' | '`' | '{' | '|' | '}'
            )
        });
    port_ok && host_ok
}

/// `/api/v1/complaints/{id}/evidence/{evidence_id}/content`: where this service serves an
/// uploaded file (the `uri` it gives an upload).
fn download_path(uri: &str) -> bool {
    let Some(rest) = uri.strip_prefix("/api/v1/complaints/") else {
        return false;
    };
    let parts: Vec<&str> = rest.split('/').collect();
    matches!(
        parts.as_slice(),
        [case, "evidence", evidence, "content"]
            if Uuid::try_parse(case).is_ok() && Uuid::try_parse(evidence).is_ok()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_addresses_are_accepted() {
        for uri in [
            "https://files.example.com/evidence/778.jpg",
            "http://ops.example.com/scans/1?day=2026-11-25#row-3",
            "HTTPS://Files.Example.com",
            "https://files.example.com:8443/a",
            "https://[2001:db8::1]:8443/a.png",
            "https://例子.中国/证据/1.jpg",
        ] {
            assert!(acceptable_uri(uri), "{uri}");
        }
    }

    #[test]
    fn other_schemes_relative_references_and_credentials_are_refused() {
        for uri in [
            "javascript:alert(1)",
            "JavaScript://example.com/%0aalert(1)",
            "data:text/html,<script>alert(1)</script>",
            "file:///etc/passwd",
            "ftp://files.example.com/a.jpg",
            "//files.example.com/a.jpg",
            "files.example.com/a.jpg",
            "https://",
            "https:///a.jpg",
            "https://user:secret@files.example.com/a.jpg",
            "https://files.example.com:port/a",
            "https://[::1/a",
            "https://[::1]x/a",
            "https://files.example.com/a b.jpg",
            "https://files.example.com/\u{7}",
            "/etc/passwd",
            "/api/v1/complaints/x/evidence/y/content",
        ] {
            assert!(!acceptable_uri(uri), "{uri}");
        }
        let long = format!("https://files.example.com/{}", "a".repeat(MAX_URI));
        assert!(!acceptable_uri(&long));
    }

    #[test]
    fn the_download_path_of_an_upload_is_accepted() {
        let (case, evidence) = (Uuid::now_v7(), Uuid::now_v7());
        assert!(acceptable_uri(&format!(
            "/api/v1/complaints/{case}/evidence/{evidence}/content"
        )));
        assert!(!acceptable_uri(&format!(
            "/api/v1/complaints/{case}/evidence/{evidence}/content/../../x"
        )));
    }
}
