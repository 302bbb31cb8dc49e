//! A second reference for the gateway's hop (SPEC §9, beside nginx): the leanest hop Rust's
//! HTTP stack makes, hyper on both sides with no logic at all. Two workers (as the gateway and
//! nginx run), each a single-threaded runtime accepting on the one listener; each client
//! connection gets its own keep-alive connection upstream, opened on its first request (no
//! pool to check out from); the caller's headers go on with `host` and `x-forwarded-for` set,
//! the answer comes back read whole. What the gateway adds to this is the cost of its
//! framework (actix-web) and of its own work per request (authentication, limits, ids,
//! metrics, headers).
//!
//! `kuaidi-bench-proxy <port> <upstream host:port>`

use std::cell::RefCell;
use std::convert::Infallible;
use std::rc::Rc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

/// One client connection's connection upstream, once opened.
type Upstream = Rc<RefCell<Option<SendRequest<Full<Bytes>>>>>;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().and_then(|p| p.parse().ok()).unwrap_or(18092);
    let upstream: &'static str = args
        .next()
        .unwrap_or_else(|| "127.0.0.1:8082".into())
        .leak();
    let listener = std::net::TcpListener::bind(("127.0.0.1", port))?;
    listener.set_nonblocking(true)?;
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let listener = listener.try_clone()?;
            Ok(std::thread::spawn(move || worker(listener, upstream)))
        })
        .collect::<std::io::Result<_>>()?;
    for w in workers {
        w.join().expect("a worker")?;
    }
    Ok(())
}

fn worker(listener: std::net::TcpListener, upstream: &'static str) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    tokio::task::LocalSet::new().block_on(&runtime, async move {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        loop {
            let (socket, peer) = listener.accept().await?;
            socket.set_nodelay(true)?;
            let slot = Upstream::default();
            let forwarded = http::HeaderValue::try_from(peer.ip().to_string())
                .expect("an address is a header value");
            tokio::task::spawn_local(async move {
                let service =
                    service_fn(move |req| forward(req, slot.clone(), upstream, forwarded.clone()));
                // A client going away mid-request is not the proxy's error.
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(socket), service)
                    .await;
            });
        }
    })
}

async fn forward(
    req: hyper::Request<Incoming>,
    slot: Upstream,
    upstream: &'static str,
    forwarded: http::HeaderValue,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    Ok(match relay(req, &slot, upstream, forwarded).await {
        Ok(resp) => resp,
        Err(_) => {
            // A failed connection is not put back in its slot: the next request opens another.
            let mut resp = hyper::Response::new(Full::new(Bytes::from_static(b"bad gateway")));
            *resp.status_mut() = http::StatusCode::BAD_GATEWAY;
            resp
        }
    })
}

async fn relay(
    req: hyper::Request<Incoming>,
    slot: &Upstream,
    upstream: &'static str,
    forwarded: http::HeaderValue,
) -> anyhow::Result<hyper::Response<Full<Bytes>>> {
    let (mut parts, body) = req.into_parts();
    let body = body.collect().await?.to_bytes();
    parts.headers.remove(http::header::CONNECTION);
    parts
        .headers
        .insert(http::header::HOST, http::HeaderValue::from_static(upstream));
    parts.headers.insert("x-forwarded-for", forwarded);
    parts.uri = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .parse()?;
    let out = hyper::Request::from_parts(parts, Full::new(body));
    let taken = slot.borrow_mut().take();
    let mut sender = match taken {
        Some(sender) => sender,
        None => {
            let stream = tokio::net::TcpStream::connect(upstream).await?;
            stream.set_nodelay(true)?;
            let (sender, connection) =
                hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
            tokio::task::spawn_local(connection);
            sender
        }
    };
    let answer = sender.send_request(out).await?;
    *slot.borrow_mut() = Some(sender);
    let (parts, body) = answer.into_parts();
    let body = body.collect().await?.to_bytes();
    Ok(hyper::Response::from_parts(parts, Full::new(body)))
}
