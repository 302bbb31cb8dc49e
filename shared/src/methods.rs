//! Wrong methods (SPEC §2: every error is problem+json): the `405` of a path that exists for
//! other methods, with `Allow` naming them, whichever way actix-web comes to it.
//!
//! * A resource with several routes (`web::resource(..).route(..)`) answers an empty `405`
//!   with `Allow` itself: `with_problem` gives it the problem body the rest of the API
//!   answers with (`crate::request` completes every answer through it).
//! * A path registered per method (`cfg.route(path, web::get()..)`, which puts the method
//!   guard on a resource of its own) falls through to the default service when no method
//!   fits: [`unmatched`] answers `405` when a resource's pattern matches the path (actix-web's
//!   resource map says so) and the process's OpenAPI document ([`Allowed`], registered with
//!   it) names that pattern's methods — actix-web keeps a resource's guards to itself. Any
//!   other path stays a `404`.

use actix_web::http::{header, Method, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use std::collections::HashMap;

use crate::problem::ApiError;

/// The methods of each path of a process's OpenAPI document, by pattern with its parameters
/// unnamed (`/api/v1/shipments/{}`).
#[derive(Debug, Default)]
pub struct Allowed(HashMap<String, Vec<Method>>);

impl Allowed {
    /// The methods `doc` documents for each of its paths.
    pub fn of(doc: &utoipa::openapi::OpenApi) -> Self {
        let paths = doc.paths.paths.iter().map(|(path, item)| {
            let methods = [
                (&item.get, Method::GET),
                (&item.put, Method::PUT),
                (&item.post, Method::POST),
                (&item.delete, Method::DELETE),
                (&item.options, Method::OPTIONS),
                (&item.head, Method::HEAD),
                (&item.patch, Method::PATCH),
                (&item.trace, Method::TRACE),
            ];
            let methods = methods
                .into_iter()
                .filter_map(|(op, method)| op.is_some().then_some(method))
                .collect();
            (unnamed(path), methods)
        });
        Self(paths.collect())
    }

    /// The `405` of `method` on `pattern` (an actix-web pattern matching the request's path),
    /// when the document names the methods of that pattern and `method` is not one of them.
    fn refusal(&self, pattern: &str, method: &Method) -> Option<ApiError> {
        let methods = self.0.get(&unnamed(pattern))?;
        if methods.is_empty() || methods.contains(method) {
            return None;
        }
        let allow: Vec<&str> = methods.iter().map(Method::as_str).collect();
        Some(ApiError::MethodNotAllowed {
            method: method.to_string(),
            allow: allow.join(", "),
        })
    }
}

/// `pattern` with each parameter unnamed: `{id}` and `{id:\d+}` both become `{}`.
fn unnamed(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut depth = 0usize;
    for c in pattern.chars() {
        match c {
            '{' => {
                if depth == 0 {
                    out.push('{');
                }
                depth += 1;
            }
            '}' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    out.push('}');
                }
            }
            _ if depth > 0 => {}
            c => out.push(c),
        }
    }
    out
}

/// The default service of every process's app: `405` for a path that exists for other
/// methods (see the module), `404` for any other.
pub async fn unmatched(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let refusal = req.app_data::<web::Data<Allowed>>().and_then(|allowed| {
        let pattern = req.resource_map().match_pattern(req.path())?;
        allowed.refusal(&pattern, req.method())
    });
    Err(refusal.unwrap_or(ApiError::NotFound("route")))
}

/// `res` itself, or, when it is actix-web's empty `405` (a resource's default), the same
/// answer (its headers, `Allow` among them) as a problem.
pub(crate) fn with_problem(res: HttpResponse, method: &Method) -> HttpResponse {
    if res.status() != StatusCode::METHOD_NOT_ALLOWED
        || res.error().is_some()
        || res.headers().contains_key(header::CONTENT_TYPE)
    {
        return res;
    }
    let allow = res
        .headers()
        .get(header::ALLOW)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let headers = res.headers().clone();
    let mut problem = HttpResponse::from_error(ApiError::MethodNotAllowed {
        method: method.to_string(),
        allow,
    });
    // The problem's body is written when the answer is completed (`crate::request`).
    *problem.headers_mut() = headers;
    problem
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::{call_service, init_service, read_body_json, TestRequest};
    use actix_web::App;

    #[test]
    fn parameters_are_compared_unnamed() {
        assert_eq!(
            unnamed("/api/v1/webhooks/{id}:test"),
            "/api/v1/webhooks/{}:test"
        );
        assert_eq!(unnamed(r"/a/{n:\d{2}}/b/{rest:.*}"), "/a/{}/b/{}");
        assert_eq!(unnamed("/api/v1/shipments"), "/api/v1/shipments");
    }

    #[derive(utoipa::OpenApi)]
    #[openapi(paths(list, create, read))]
    struct Doc;

    #[utoipa::path(get, path = "/things", responses((status = 200)))]
    #[allow(dead_code)]
    async fn list() {}

    #[utoipa::path(post, path = "/things", responses((status = 201)))]
    #[allow(dead_code)]
    async fn create() {}

    #[utoipa::path(get, path = "/things/{thing_id}", responses((status = 200)))]
    #[allow(dead_code)]
    async fn read() {}

    async fn ok() -> HttpResponse {
        HttpResponse::Ok().finish()
    }

    async fn answer(method: Method, path: &str) -> (u16, String, serde_json::Value) {
        let app = init_service(
            App::new()
                .wrap(crate::http_front::Front)
                .app_data(web::Data::new(Allowed::of(
                    &<Doc as utoipa::OpenApi>::openapi(),
                )))
                .default_service(web::to(unmatched))
                // One resource per method, as `cfg.route` registers them ...
                .route("/things", web::get().to(ok))
                .route("/things", web::post().to(ok))
                .route("/things/{id}", web::get().to(ok))
                .route("/undocumented", web::get().to(ok))
                // ... and one resource with two routes.
                .service(
                    web::resource("/both")
                        .route(web::get().to(ok))
                        .route(web::delete().to(ok)),
                ),
        )
        .await;
        let res = call_service(
            &app,
            TestRequest::default().method(method).uri(path).to_request(),
        )
        .await;
        let status = res.status().as_u16();
        let allow = res
            .headers()
            .get(header::ALLOW)
            .map_or(String::new(), |v| v.to_str().expect("text").to_owned());
        let content_type = res.headers().get(header::CONTENT_TYPE).cloned();
        let body: serde_json::Value = read_body_json(res).await;
        assert_eq!(
            content_type.expect("a content type"),
            crate::problem::PROBLEM_JSON,
            "{path}: a problem"
        );
        (status, allow, body)
    }

    #[actix_web::test]
    async fn a_resources_own_405_is_a_problem_that_keeps_its_allow_header() {
        let (status, allow, body) = answer(Method::PATCH, "/both").await;
        assert_eq!(status, 405);
        assert_eq!(allow, "GET, DELETE");
        assert_eq!(body["code"], "method_not_allowed");
        assert_eq!(body["status"], 405);
        assert_eq!(body["instance"], "/both");
        assert_eq!(
            body["detail"],
            "PATCH is not allowed here; allowed: GET, DELETE"
        );
        assert!(body["request_id"].is_string(), "{body}");
    }

    #[actix_web::test]
    async fn a_path_routed_per_method_answers_405_with_the_documented_methods() {
        let (status, allow, body) = answer(Method::DELETE, "/things").await;
        assert_eq!((status, allow.as_str()), (405, "GET, POST"), "{body}");
        assert_eq!(body["title"], "Method not allowed");
        let (status, allow, _) = answer(Method::PUT, "/things/42").await;
        assert_eq!((status, allow.as_str()), (405, "GET"));
    }

    #[actix_web::test]
    async fn unknown_or_undocumented_paths_stay_404() {
        for (method, path) in [
            (Method::GET, "/nothing"),
            (Method::DELETE, "/things/42/more"),
            (Method::POST, "/undocumented"),
        ] {
            let (status, allow, body) = answer(method, path).await;
            assert_eq!((status, allow.as_str()), (404, ""), "{path}: {body}");
            assert_eq!(body["code"], "not_found");
        }
    }
}
