//! `GET /dashboard`: one HTML page and its assets, compiled into the binary (no build step, no
//! CDN: the chart library, uPlot, is vendored under `static/vendor/` with its licence). The
//! page signs in with the gateway's login or a `#access_token=` link and reads the API.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

/// The files under `/dashboard/`: path, content type, content.
const ASSETS: [(&str, &str, &str); 5] = [
    (
        "",
        "text/html; charset=utf-8",
        include_str!("../../static/index.html"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../../static/app.js"),
    ),
    (
        "app.css",
        "text/css; charset=utf-8",
        include_str!("../../static/app.css"),
    ),
    (
        "vendor/uPlot.iife.min.js",
        "text/javascript; charset=utf-8",
        include_str!("../../static/vendor/uPlot.iife.min.js"),
    ),
    (
        "vendor/uPlot.min.css",
        "text/css; charset=utf-8",
        include_str!("../../static/vendor/uPlot.min.css"),
    ),
];

/// Only this origin's scripts and API; uPlot sizes its elements with inline styles.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
    base-uri 'none'";

/// The page and its assets (HEAD too, as for every GET route: see `kuaidi_shared::app`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/dashboard", web::get().to(asset))
        .route("/dashboard/{file:.*}", web::get().to(asset));
}

async fn asset(file: Option<web::Path<String>>) -> HttpResponse {
    let name = file.map(|f| f.into_inner()).unwrap_or_default();
    match ASSETS.iter().find(|(path, ..)| *path == name) {
        Some((_, content_type, body)) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, *content_type))
            .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .body(*body),
        None => HttpResponse::NotFound()
            .content_type("application/problem+json")
            .json(serde_json::json!({
                "type": "https://kuaidi.dev/problems/not_found", "title": "Not found",
                "status": 404, "detail": "no such dashboard file", "code": "not_found"
            })),
    }
}

#[cfg(test)]
mod tests {
    /// The script as served.
    fn app_js() -> &'static str {
        super::ASSETS
            .iter()
            .find(|(path, ..)| *path == "app.js")
            .map(|(.., body)| *body)
            .expect("app.js")
    }

    #[test]
    fn the_dashboard_asks_for_the_browsers_calendar_days_in_the_zone_it_sends() {
        let js = app_js();
        // `toISOString` is the UTC day: east of UTC early in the morning it is yesterday, while
        // `tz` says the browser's zone.
        assert!(
            !js.contains("toISOString"),
            "no UTC dates in the query of a local zone"
        );
        assert!(js.contains("from: localDay(from), to: localDay(to)"));
        assert!(js.contains("d.getFullYear()") && js.contains("d.getDate()"));
        assert!(js.contains("resolvedOptions().timeZone"));
    }
}
