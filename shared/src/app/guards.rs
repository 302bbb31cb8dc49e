//! What every request passes before routing, in one layer (each was a `from_fn` layer of its
//! own, two boxed futures apiece on every request): `.`/`..` path segments refused
//! ([`crate::paths`]), unstorable text refused ([`crate::input`]), the management port answered
//! ([`crate::management`]), and `HEAD` served as `GET`.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;

/// Middleware: the guards, in that order; then the routes.
pub async fn guards(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let refused = match crate::paths::refusal(&req) {
        None => crate::input::refusal(&mut req).await,
        dot_segment => dot_segment,
    };
    if let Some(refused) = refused {
        return Ok(req.error_response(refused).map_into_right_body());
    }
    // RFC 9110 §9.3.2: HEAD is GET without the content. Routes are declared for GET only; the
    // HTTP/1 codec noted the method as the request was read and writes no body for it, with
    // the headers (`ETag`, `Content-Length`...) a GET would have.
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    if let Some(answer) = crate::management::answer(&req) {
        return Ok(req.into_response(answer).map_into_right_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}
