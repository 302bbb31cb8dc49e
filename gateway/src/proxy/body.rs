//! Request bodies on their way upstream: small or idempotency-keyed bodies are read first (they
//! can be fingerprinted and retried); larger ones stream through without being held; oversized
//! ones are refused.

use actix_web::dev::{Payload, RequestHead};
use actix_web::http::header;
use actix_web::web;
use kuaidi_shared::ApiError;

/// A request body on its way upstream: small or idempotency-keyed bodies are read first (they
/// can be fingerprinted and retried); larger ones stream through without being held.
pub enum Body {
    Buffered(web::Bytes),
    Streaming(Streamed),
}

/// A body streamed upstream as it arrives.
pub type Streamed = http_body_util::combinators::UnsyncBoxBody<web::Bytes, std::io::Error>;

/// Bodies up to this size are read before forwarding.
const BUFFER_UP_TO: usize = 64 * 1024;

fn too_large(max: usize) -> ApiError {
    ApiError::PayloadTooLarge(format!("the body is larger than {max} bytes"))
}

/// Reads the whole body (at most `max` bytes).
async fn read_all(mut payload: Payload, max: usize) -> Result<web::Bytes, ApiError> {
    use futures_util::StreamExt;
    let mut buf = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::BadRequest(format!("reading the body: {e}")))?;
        if buf.len() + chunk.len() > max {
            return Err(too_large(max));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// Streams the body upstream through a channel (the actix payload stays on its worker), cut
/// off with an error past `max` bytes.
fn stream(mut payload: Payload, max: usize) -> Streamed {
    use futures_util::StreamExt;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<web::Bytes, std::io::Error>>(8);
    actix_web::rt::spawn(async move {
        let mut seen = 0usize;
        while let Some(chunk) = payload.next().await {
            let item = match chunk {
                Ok(c) => {
                    seen += c.len();
                    if seen > max {
                        Err(std::io::Error::other("request body too large"))
                    } else {
                        Ok(c)
                    }
                }
                Err(e) => Err(std::io::Error::other(e.to_string())),
            };
            let stop = item.is_err();
            if tx.send(item).await.is_err() || stop {
                break;
            }
        }
    });
    let mut rx = rx;
    let frames = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
        .map(|item| item.map(hyper::body::Frame::data));
    http_body_util::BodyExt::boxed_unsync(http_body_util::StreamBody::new(frames))
}

/// The body of `req`, buffered or streaming as its size and idempotency key require.
pub async fn read(req: &RequestHead, payload: Payload, max: usize) -> Result<Body, ApiError> {
    let declared = req
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let keyed = req.headers.contains_key("idempotency-key");
    Ok(match declared {
        Some(n) if n > max => return Err(too_large(max)),
        Some(n) if n <= BUFFER_UP_TO => Body::Buffered(read_all(payload, max).await?),
        None if !req.headers.contains_key(header::TRANSFER_ENCODING) => {
            Body::Buffered(web::Bytes::new())
        }
        _ if keyed => Body::Buffered(read_all(payload, max).await?),
        _ => Body::Streaming(stream(payload, max)),
    })
}
