//! The fingerprint of a keyed request: what a retry must repeat for its key to replay the first
//! answer (the same key with another fingerprint is a `422`).

use actix_web::mime::{Mime, BOUNDARY, MULTIPART};
use sha2::{Digest, Sha256};

/// What stands for a multipart body's boundary in its fingerprint.
const ANY_BOUNDARY: &[u8] = b"kuaidi-boundary";

/// Fingerprint of the request the key was first used with. A body counts by what it says, not
/// how it is written: a JSON document with other white space or key order is the same body (a
/// client's retry may re-serialise it), and so is a `multipart/form-data` body with another
/// boundary (every client picks a new one per request: a retried upload would never replay).
/// Any other body counts byte for byte.
pub fn fingerprint(
    method: &str,
    path_and_query: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> String {
    let mut h = Sha256::new();
    h.update(method.as_bytes());
    h.update(b" ");
    h.update(path_and_query.as_bytes());
    h.update(b"\n");
    if let Some(boundary) = multipart_boundary(content_type) {
        h.update(replaced(
            body,
            format!("--{boundary}").as_bytes(),
            ANY_BOUNDARY,
        ));
    } else {
        // serde_json's maps are ordered by key: written again, a document is in one form.
        match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(json) => h.update(json.to_string().as_bytes()),
            Err(_) => h.update(body),
        }
    }
    hex::encode(h.finalize())
}

/// The boundary of a `multipart/*` content type, if it names one.
fn multipart_boundary(content_type: Option<&str>) -> Option<String> {
    let mime: Mime = content_type?.parse().ok()?;
    if mime.type_() != MULTIPART {
        return None;
    }
    let boundary = mime.get_param(BOUNDARY)?.as_str();
    (!boundary.is_empty()).then(|| boundary.to_owned())
}

/// `body` with every `from` replaced by `to`.
fn replaced(body: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let mut rest = body;
    while let Some(at) = rest.windows(from.len()).position(|w| w == from) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(to);
        rest = &rest[at + from.len()..];
    }
    out.extend_from_slice(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATH: &str = "/api/v1/shipments";

    #[test]
    fn the_fingerprint_covers_method_path_and_body() {
        let a = fingerprint("POST", PATH, None, b"{}");
        assert_eq!(a, fingerprint("POST", PATH, None, b"{}"));
        assert_ne!(a, fingerprint("POST", "/api/v1/customers", None, b"{}"));
        assert_ne!(a, fingerprint("POST", PATH, None, b"[]"));
    }

    #[test]
    fn a_json_body_counts_by_what_it_says_not_how_it_is_written() {
        let a = fingerprint("POST", PATH, None, br#"{"a":1,"b":[1,2]}"#);
        let spaced = br#"{ "b": [1, 2],
            "a": 1 }"#;
        assert_eq!(a, fingerprint("POST", PATH, None, spaced));
        assert_ne!(a, fingerprint("POST", PATH, None, br#"{"a":1,"b":[2,1]}"#));
        // Not JSON: byte for byte.
        assert_ne!(
            fingerprint("POST", "/x", None, b"kind=photo"),
            fingerprint("POST", "/x", None, b"kind=photo ")
        );
    }

    fn upload(boundary: &str, content: &str) -> (String, Vec<u8>) {
        let body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; \
             filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n{content}\r\n--{boundary}--\r\n"
        );
        (
            format!("multipart/form-data; boundary={boundary}"),
            body.into_bytes(),
        )
    }

    #[test]
    fn a_multipart_body_counts_by_its_parts_whatever_its_boundary() {
        let path = "/api/v1/complaints/1/evidence";
        let print = |(ct, body): (String, Vec<u8>)| fingerprint("POST", path, Some(&ct), &body);
        let first = print(upload("----a1b2", "PNGDATA"));
        assert_eq!(first, print(upload("----zz99-other", "PNGDATA")));
        assert_ne!(first, print(upload("----a1b2", "PNGDATB")), "other content");
        // Quoted, as some clients send it.
        let (_, body) = upload("q-1", "PNGDATA");
        let quoted = fingerprint(
            "POST",
            path,
            Some("multipart/form-data; boundary=\"q-1\""),
            &body,
        );
        assert_eq!(first, quoted);
        // A boundary named but not multipart: byte for byte.
        assert_ne!(
            fingerprint("POST", path, Some("text/plain; boundary=a"), b"--a x"),
            fingerprint("POST", path, Some("text/plain; boundary=b"), b"--b x")
        );
    }
}
