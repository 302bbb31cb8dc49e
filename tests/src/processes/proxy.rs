//! A TCP proxy the fault tests cut (RabbitMQ, PostgreSQL).

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// A TCP proxy on loopback the test can cut: a cut drops every piped connection and refuses new
/// ones (accepted, then closed at once) until it is restored.
pub struct TcpProxy {
    port: u16,
    up: watch::Sender<bool>,
    _accept: tokio::task::JoinHandle<()>,
}

impl TcpProxy {
    /// A proxy to `upstream` (`host:port`), up.
    pub async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy binds");
        let port = listener.local_addr().expect("proxy address").port();
        let (up, rx) = watch::channel(true);
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !*rx.borrow() {
                    continue; // dropped: the client sees its connection closed
                }
                let (upstream, mut cut) = (upstream.clone(), rx.clone());
                tokio::spawn(async move {
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
            _accept: accept,
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Drops every connection and refuses new ones.
    pub fn cut(&self) {
        self.up.send_replace(false);
    }

    pub fn restore(&self) {
        self.up.send_replace(true);
    }
}
