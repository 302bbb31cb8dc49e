//! A TCP proxy the fault tests cut (RabbitMQ, PostgreSQL).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// A TCP proxy on loopback the test can cut: a cut drops every piped connection and refuses new
/// ones (accepted, then closed at once) until it is restored.
pub struct TcpProxy {
    port: u16,
    up: watch::Sender<bool>,
    /// Connections being piped (a cut waits until none is left).
    open: Arc<AtomicUsize>,
    _accept: tokio::task::JoinHandle<()>,
}

/// Counts a piped connection while it lives.
struct Piped(Arc<AtomicUsize>);

impl Drop for Piped {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl TcpProxy {
    /// A proxy to `upstream` (`host:port`), up.
    pub async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy binds");
        let port = listener.local_addr().expect("proxy address").port();
        let (up, rx) = watch::channel(true);
        let open = Arc::new(AtomicUsize::new(0));
        let counted = open.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !*rx.borrow() {
                    continue; // dropped: the client sees its connection closed
                }
                let (upstream, mut cut) = (upstream.clone(), rx.clone());
                counted.fetch_add(1, Ordering::SeqCst);
                let piped = Piped(counted.clone());
                tokio::spawn(async move {
                    let _piped = piped;
                    let Ok(mut server) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut.wait_for(|up| !*up) => {}
                    }
                });
            }
        });
        Self {
            port,
            up,
            open,
            _accept: accept,
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Drops every connection and refuses new ones; returns once no connection is piped any
    /// more (the pipes close on their own tasks: a request sent right after a cut must not find
    /// one still open — CI once saw a readiness check pass through one).
    pub async fn cut(&self) {
        self.up.send_replace(false);
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.open.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    pub fn restore(&self) {
        self.up.send_replace(true);
    }
}
