//! Changes the services make that the audit log keeps (SPEC §3: who did what to whom): a
//! customer's erasure (PIPL/GDPR — the one change that cannot be looked up afterwards, as the
//! file no longer says whose it was), a merge of two files and its undo. Recorded when the
//! service answered 2xx, with the principal, the request id and the file or merge concerned.
//! A merge's dry run (`?dry_run=true`) changes nothing, and so is not one of them.

use actix_web::http::Method;

/// The audited action of a successful `method` on `target` (the request's path, with its query
/// string if it has one), with its target.
pub fn change(method: &Method, target: &str) -> Option<(&'static str, String)> {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let rest = path.strip_prefix("/api/v1/customers/")?;
    let parts: Vec<&str> = rest.split('/').collect();
    let id = |s: &str| uuid::Uuid::try_parse(s).ok().map(|u| u.to_string());
    match (method, parts.as_slice()) {
        (&Method::DELETE, [customer]) => Some(("customer.erase", id(customer)?)),
        (&Method::POST, [survivor, "merge"]) if !dry_run(query) => {
            Some(("customer.merge", id(survivor)?))
        }
        (&Method::POST, ["merges", undo]) => {
            let merge = undo.strip_suffix(":undo")?;
            Some(("customer.merge_undo", id(merge)?))
        }
        _ => None,
    }
}

/// Whether a merge's `query` asks for a dry run, read as the service reads it: one `dry_run`
/// parameter whose value is `true` (decoded). Anything else the service refuses (`422`, not
/// audited either) or merges for real (audited): when in doubt, a merge.
fn dry_run(query: &str) -> bool {
    let Ok(pairs) = serde_urlencoded::from_str::<Vec<(String, String)>>(query) else {
        return false;
    };
    let mut asked = pairs.iter().filter(|(name, _)| name == "dry_run");
    matches!((asked.next(), asked.next()), (Some((_, value)), None) if value == "true")
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

    #[test]
    fn a_merges_dry_run_is_not_audited_and_a_query_hides_no_change() {
        let c = |m: Method, p: String| change(&m, &p);
        let merge = format!("/api/v1/customers/{ID}/merge");
        for dry in ["dry_run=true", "dry_%72un=true", "x=1&dry_run=true"] {
            assert_eq!(c(Method::POST, format!("{merge}?{dry}")), None, "{dry}");
        }
        for real in [
            "",
            "dry_run=false",
            "dry_run=True",
            "dry_run=1",
            "dry_run",
            "dry_run=true&dry_run=false",
            "dry_run=false&dry%5Frun=true",
            "dry_runs=true",
        ] {
            assert_eq!(
                c(Method::POST, format!("{merge}?{real}")),
                Some(("customer.merge", ID.to_owned())),
                "{real:?} is a merge (or refused by the service)"
            );
        }
        assert_eq!(
            c(
                Method::DELETE,
                format!("/api/v1/customers/{ID}?dry_run=true")
            ),
            Some(("customer.erase", ID.to_owned())),
            "an erasure has no dry run"
        );
        assert_eq!(
            c(
                Method::POST,
                format!("/api/v1/customers/merges/{ID}:undo?dry_run=true")
            ),
            Some(("customer.merge_undo", ID.to_owned()))
        );
    }
}
