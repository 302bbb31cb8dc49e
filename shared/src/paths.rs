//! Request paths every process refuses before routing (SPEC §2): `.` and `..` segments, plain
//! or percent-encoded, and segments hiding a separator (`%2f`, `\`). A proxy that resolved
//! them after authorising the raw path would forward somewhere it never authorised.

use actix_web::dev::ServiceRequest;

use crate::ApiError;

/// Whether `path` (as received, still percent-encoded) holds a dot segment or a segment that
/// decodes to something containing a separator.
pub fn has_dot_segment(path: &str) -> bool {
    // The usual path holds none of the bytes a dot segment or a hidden separator needs: one
    // pass over it, no splitting.
    if !path.bytes().any(|b| matches!(b, b'.' | b'%' | b'\\')) {
        return false;
    }
    path.split('/').any(|segment| {
        // Nothing encoded (the usual path): the segment is what it says, no copy needed.
        if !segment.contains('%') {
            return segment == "." || segment == ".." || segment.contains('\\');
        }
        let decoded = decode_fully(segment);
        decoded == "." || decoded == ".." || decoded.contains('/') || decoded.contains('\\')
    })
}

/// Percent-decodes until nothing changes (double encoding such as `%252e` included).
fn decode_fully(segment: &str) -> String {
    let mut current = segment.to_owned();
    for _ in 0..4 {
        let next = decode_once(&current);
        if next == current {
            break;
        }
        current = next;
    }
    current
}

fn decode_once(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The refusal of a path holding a `.` or `..` segment (plain or encoded), if it does.
pub fn refusal(req: &ServiceRequest) -> Option<ApiError> {
    has_dot_segment(req.uri().path())
        .then(|| ApiError::BadRequest("path segments `.` and `..` are not allowed".into()))
}

#[cfg(test)]
mod tests {
    use super::has_dot_segment;

    #[test]
    fn plain_and_encoded_dot_segments_are_found() {
        for path in [
            "/api/v1/tracking/../../../metrics",
            "/api/v1/tracking/./KD1",
            "/api/v1/tracking/%2e%2e/metrics",
            "/api/v1/tracking/.%2E/metrics",
            "/api/v1/tracking/%252e%252e/metrics",
            "/api/v1/tracking/..%2fmetrics",
            "/api/v1/tracking/..%5Cmetrics",
            "/api/v1/tracking/..\\metrics",
            "/..",
        ] {
            assert!(has_dot_segment(path), "{path} must be refused");
        }
    }

    #[test]
    fn dots_inside_a_segment_are_fine() {
        for path in [
            "/api/v1/tracking/KD123",
            "/dashboard/vendor/chart.umd.js",
            "/api/v1/customers/a..b",
            "/api/v1/tracking/...",
            "/",
            "/api/v1/customers/",
        ] {
            assert!(!has_dot_segment(path), "{path} must pass");
        }
    }
}
