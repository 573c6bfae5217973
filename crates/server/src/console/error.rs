//! The console's errors: an HTML page (or fragment, for htmx requests) with a status and a message.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use crossdock_store::StoreError;

/// A console request that failed: shown to the operator as a short page.
#[derive(Debug, Clone)]
pub struct ConsoleError {
    pub status: StatusCode,
    pub message: String,
}

impl ConsoleError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, message: message.into() }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
}

impl From<StoreError> for ConsoleError {
    fn from(error: StoreError) -> Self {
        tracing::error!(%error, "console: store error");
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "the store did not answer; try again shortly")
    }
}

impl From<crate::problem::ApiError> for ConsoleError {
    fn from(error: crate::problem::ApiError) -> Self {
        Self::new(error.status, error.detail)
    }
}

impl From<askama::Error> for ConsoleError {
    fn from(error: askama::Error) -> Self {
        tracing::error!(%error, "console: template error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "the page could not be rendered; it has been logged")
    }
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        let body = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>crossdock console: {status}</title>\
             <link rel=\"stylesheet\" href=\"/console/assets/console.css\"></head><body><main class=\"error\">\
             <h1>{status}</h1><p id=\"error-message\" class=\"flash error\">{message}</p>\
             <p><a href=\"/console\">Back to the console</a></p></main></body></html>",
            status = self.status,
            message = escape(&self.message),
        );
        (self.status, Html(body)).into_response()
    }
}

/// HTML-escapes text for the few pages built without a template.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
