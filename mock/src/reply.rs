//! Answers shaped as Segmind's: `{"error": "..."}` JSON for most errors, an
//! HTML page for a wrong method, and the messages that tell apart errors
//! sharing a status.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use segmind_ideogram::ErrorBody;

/// 406 has three causes at Segmind, told apart only by the message; the
/// mock's three each name theirs.
pub(crate) const INSUFFICIENT_CREDITS: &str =
    "Insufficient credits: add credits to your account to continue";
/// 406: the body was not sent as JSON.
pub(crate) const WRONG_CONTENT_TYPE: &str = "Content-Type must be application/json";
/// 406: the team's spend limit is reached.
pub(crate) const SPEND_LIMIT_REACHED: &str =
    "Team spend limit reached: ask a team admin to raise the limit to continue";

/// A JSON error answer.
pub(crate) fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, axum::Json(ErrorBody::new(message))).into_response()
}

/// 404 for a slug nobody serves.
pub(crate) fn unknown_model(slug: &str) -> Response {
    error(StatusCode::NOT_FOUND, format!("Model not found: {slug}"))
}

/// 410 for a retired slug.
pub(crate) fn retired_model(slug: &str) -> Response {
    error(
        StatusCode::GONE,
        format!("Model {slug} has been retired and is no longer available"),
    )
}

/// A 200 HTML page where JSON belongs, as a misbehaving gateway serves.
pub(crate) fn html_page() -> Response {
    let mut response = (
        StatusCode::OK,
        "<html><body><h1>Service temporarily unavailable</h1></body></html>",
    )
        .into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

/// Segmind answers a wrong method with an HTML page.
pub(crate) fn method_not_allowed() -> Response {
    let mut response = (
        StatusCode::METHOD_NOT_ALLOWED,
        "<html><head><title>405 Method Not Allowed</title></head><body><h1>Method Not Allowed</h1></body></html>",
    )
        .into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}
