//! The HTTP ceiling of SPEC §9: actix-web answering a constant, on the same machine.

use actix_web::{web, App, HttpServer};

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(18090);
    HttpServer::new(|| App::new().route("/", web::get().to(|| async { "hello" })))
        .bind(("127.0.0.1", port))?
        .run()
        .await
}
