//! Stand-ins for third parties a test talks to over HTTP: a merchant's webhook endpoint, an
//! upstream service behind the gateway.

use actix_web::dev::ServerHandle;
use actix_web::{web, App, FromRequest, Handler, HttpServer, Responder};

/// Serves every request on 127.0.0.1, at a free port, with `handler` (one worker, `data` as its
/// application data). Returns the port and the server's handle; the server runs until the
/// handle stops it or the test's runtime ends.
pub fn stub_server<T, F, Args>(data: web::Data<T>, handler: F) -> (u16, ServerHandle)
where
    T: Send + Sync + 'static,
    F: Handler<Args> + Clone + Send + 'static,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .default_service(web::to(handler.clone()))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap_or_else(|e| panic!("the stub server binds: {e}"));
    let port = server.addrs()[0].port();
    let server = server.run();
    let handle = server.handle();
    tokio::spawn(server);
    (port, handle)
}
