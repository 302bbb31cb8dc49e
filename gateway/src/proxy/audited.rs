//! Changes the services make that the audit log keeps (SPEC §3: who did what to whom): a
//! customer's erasure (PIPL/GDPR — the one change that cannot be looked up afterwards, as the
//! file no longer says whose it was), a merge of two files and its undo. Recorded when the
//! service answered 2xx, with the principal, the request id and the file or merge concerned.

use actix_web::http::Method;

/// The audited action of a successful `method` on `path`, with its target.
pub fn change(method: &Method, path: &str) -> Option<(&'static str, String)> {
    let rest = path.strip_prefix("/api/v1/customers/")?;
    let parts: Vec<&str> = rest.split('/').collect();
    let id = |s: &str| uuid::Uuid::try_parse(s).ok().map(|u| u.to_string());
    match (method, parts.as_slice()) {
        (&Method::DELETE, [customer]) => Some(("customer.erase", id(customer)?)),
        (&Method::POST, [survivor, "merge"]) => Some(("customer.merge", id(survivor)?)),
        (&Method::POST, ["merges", undo]) => {
            let merge = undo.strip_suffix(":undo")?;
            Some(("customer.merge_undo", id(merge)?))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0192f3a0-8d3c-7b4e-9a1f-2b3c4d5e6f70";

    #[test]
    fn erasure_merge_and_undo_are_audited_with_their_target() {
        let c = |m: Method, p: String| change(&m, &p);
        assert_eq!(
            c(Method::DELETE, format!("/api/v1/customers/{ID}")),
            Some(("customer.erase", ID.to_owned()))
        );
        assert_eq!(
            c(Method::POST, format!("/api/v1/customers/{ID}/merge")),
            Some(("customer.merge", ID.to_owned()))
        );
        assert_eq!(
            c(Method::POST, format!("/api/v1/customers/merges/{ID}:undo")),
            Some(("customer.merge_undo", ID.to_owned()))
        );
    }

    #[test]
    fn other_requests_and_malformed_ids_are_not() {
        let c = |m: Method, p: String| change(&m, &p);
        assert_eq!(c(Method::GET, format!("/api/v1/customers/{ID}")), None);
        assert_eq!(c(Method::PATCH, format!("/api/v1/customers/{ID}")), None);
        assert_eq!(
            c(Method::DELETE, format!("/api/v1/customers/{ID}/consents")),
            None
        );
        assert_eq!(
            c(Method::DELETE, "/api/v1/customers/not-an-id".into()),
            None
        );
        assert_eq!(
            c(Method::POST, format!("/api/v1/customers/merges/{ID}")),
            None
        );
        assert_eq!(c(Method::DELETE, format!("/api/v1/webhooks/{ID}")), None);
    }
}
