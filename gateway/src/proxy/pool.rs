//! One worker's keep-alive connections to the services: hyper's HTTP/1 connections, each
//! driven by a task on the worker's own runtime, kept per service and reused last-in first-out.
//!
//! Lighter than a general-purpose pooled client (hyper-util's, measured: ~8 000 instructions
//! more per proxied request, callgrind): nothing here is shared between threads, a connection
//! is taken and given back without a lock or a channel, and no URL is parsed per request.
//! Idle connections are not reused after [`IDLE_FOR`], below the services' keep-alive
//! (`kuaidi_shared::app::KEEP_ALIVE`), so the gateway never sends on a connection the service is
//! closing; a request a reused connection turned out unable to take (closed meanwhile, never
//! written) goes over a new one, whatever its method.

use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use super::upstream::OutBody;

/// How long a connection may sit idle and still be reused.
const IDLE_FOR: Duration = Duration::from_secs(90);
/// Idle connections kept per service and worker.
const MAX_IDLE: usize = 256;

/// One worker's connections (cheap to clone: the clones share them).
#[derive(Clone)]
pub struct Client(Rc<Pool>);

struct Pool {
    connect_timeout: Duration,
    services: RefCell<Vec<Service>>,
}

/// A service's address and its idle connections.
struct Service {
    /// As the routing table names it: `http://host:port`.
    base: String,
    authority: String,
    host: http::HeaderValue,
    idle: Vec<(SendRequest<OutBody>, Instant)>,
}

impl Service {
    fn new(base: &str) -> anyhow::Result<Self> {
        let uri = http::Uri::try_from(base)?;
        anyhow::ensure!(
            uri.scheme_str() == Some("http"),
            "{base}: only http:// services can be proxied"
        );
        let authority = uri
            .authority()
            .ok_or_else(|| anyhow::anyhow!("{base}: no host"))?
            .to_string();
        Ok(Self {
            base: base.to_owned(),
            host: http::HeaderValue::from_str(&authority)?,
            authority,
            idle: Vec::new(),
        })
    }

    /// The most recently used idle connection that is ready; closed and stale ones dropped.
    fn take_ready(&mut self, now: Instant) -> Option<SendRequest<OutBody>> {
        let mut i = self.idle.len();
        while i > 0 {
            i -= 1;
            let (sender, since) = &self.idle[i];
            if sender.is_closed() || now.duration_since(*since) > IDLE_FOR {
                self.idle.remove(i);
            } else if sender.is_ready() {
                return Some(self.idle.remove(i).0);
            }
        }
        None
    }
}

/// What [`Client::checkout`] finds for a request.
struct Checkout {
    /// A ready idle connection, if any.
    ready: Option<SendRequest<OutBody>>,
    /// The service's `Host`.
    host: http::HeaderValue,
    /// Its address, when a connection is to be opened (empty otherwise).
    authority: String,
}

impl Client {
    pub fn new(connect_timeout: Duration) -> Self {
        Self(Rc::new(Pool {
            connect_timeout,
            services: RefCell::new(Vec::new()),
        }))
    }

    /// Sends `req` (its URI in origin form) to the service at `base`.
    pub async fn request(
        &self,
        base: &str,
        mut req: http::Request<OutBody>,
    ) -> anyhow::Result<http::Response<Incoming>> {
        let Checkout {
            ready,
            host,
            authority,
        } = self.checkout(base)?;
        req.headers_mut().insert(http::header::HOST, host);
        if let Some(mut sender) = ready {
            match sender.try_send_request(req).await {
                Ok(answer) => {
                    self.checkin(base, sender);
                    return Ok(answer);
                }
                Err(mut failed) => match failed.take_message() {
                    // Never written: the connection had closed. A new one takes it.
                    Some(unsent) => req = unsent,
                    None => return Err(failed.into_error().into()),
                },
            }
        }
        let mut sender = self.connect(&authority).await?;
        let answer = sender.send_request(req).await?;
        self.checkin(base, sender);
        Ok(answer)
    }

    /// A ready idle connection to `base` if there is one, with the service's `Host` and
    /// address.
    fn checkout(&self, base: &str) -> anyhow::Result<Checkout> {
        let mut services = self.0.services.borrow_mut();
        let i = match services.iter().position(|s| s.base == base) {
            Some(i) => i,
            None => {
                services.push(Service::new(base)?);
                services.len() - 1
            }
        };
        let service = &mut services[i];
        let ready = service.take_ready(Instant::now());
        // The address is only needed (copied) when a connection is to be opened.
        let authority = if ready.is_some() {
            String::new()
        } else {
            service.authority.clone()
        };
        Ok(Checkout {
            ready,
            host: service.host.clone(),
            authority,
        })
    }

    /// Gives a connection back once its answer has begun (it is ready again, and taken again,
    /// once that answer's body has been read).
    fn checkin(&self, base: &str, sender: SendRequest<OutBody>) {
        let mut services = self.0.services.borrow_mut();
        if let Some(service) = services.iter_mut().find(|s| s.base == base) {
            if service.idle.len() < MAX_IDLE {
                service.idle.push((sender, Instant::now()));
            }
        }
    }

    async fn connect(&self, authority: &str) -> anyhow::Result<SendRequest<OutBody>> {
        let stream = tokio::time::timeout(
            self.0.connect_timeout,
            tokio::net::TcpStream::connect(authority),
        )
        .await
        .map_err(|_| anyhow::anyhow!("connecting to {authority} timed out"))??;
        stream.set_nodelay(true)?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
        actix_web::rt::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "upstream connection ended");
            }
        });
        Ok(sender)
    }
}
