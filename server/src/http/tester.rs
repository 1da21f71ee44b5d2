//! The browser tester page, compiled into the binary, and `/` pointing at it.

use axum::{
    Router,
    response::{Html, Redirect},
    routing::get,
};

const TESTER: &str = include_str!("../../static/tester.html");

/// `/test` serves the page; `/` redirects to it.
pub fn router() -> Router {
    Router::new()
        .route("/test", get(|| async { Html(TESTER) }))
        .route("/", get(|| async { Redirect::to("/test") }))
}
