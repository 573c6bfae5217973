//! The console's static files, embedded in the binary: htmx 2.0.4 and uPlot 1.6.31 (vendored, pinned, with
//! their licences in `crates/server/assets/vendor`), and the console's own stylesheet and script.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Every asset: name under `/console/assets/`, media type, bytes.
const ASSETS: &[(&str, &str, &[u8])] = &[
    ("htmx.min.js", "text/javascript", include_bytes!("../../assets/vendor/htmx-2.0.4.min.js")),
    ("uPlot.iife.min.js", "text/javascript", include_bytes!("../../assets/vendor/uPlot-1.6.31.iife.min.js")),
    ("uPlot.min.css", "text/css", include_bytes!("../../assets/vendor/uPlot-1.6.31.min.css")),
    ("console.css", "text/css", include_bytes!("../../assets/console/console.css")),
    ("console.js", "text/javascript", include_bytes!("../../assets/console/console.js")),
];

/// `GET /console/assets/{name}`: no session needed (nothing in them is private).
pub async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, media_type, bytes)) => {
            ([(header::CONTENT_TYPE, *media_type), (header::CACHE_CONTROL, "public, max-age=3600")], *bytes)
                .into_response()
        }
        None => (StatusCode::NOT_FOUND, "no such asset").into_response(),
    }
}
