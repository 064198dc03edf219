//! Answers shaped as Segmind's: `{"error": "..."}` JSON for most errors, an
//! HTML page for a wrong method.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use segmind_ideogram::ErrorBody;

/// A JSON error answer.
pub(crate) fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, axum::Json(ErrorBody::new(message))).into_response()
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
