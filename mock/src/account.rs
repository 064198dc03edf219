//! The account routes beside the endpoints: credits, the request history,
//! one request's record, storage uploads and the stored files. Their paths
//! come from the spec (`segmind_ideogram::API`).

use std::sync::Arc;
use std::time::SystemTime;

use axum::body::Bytes;
use axum::extract::{Path, Query as QueryString, State as Extract};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use segmind_ideogram::{
    FromJson, ImageFormat, UploadAssetRequest, UploadAssetResponse, UserCredits,
};
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::admission::common_checks;
use crate::answers::UploadUrls;
use crate::history::{Query, days_since_epoch};
use crate::reply;
use crate::state::State;

type Shared = Extract<Arc<State>>;

/// `GET /v1/get-user-credits`.
pub(crate) async fn credits(Extract(state): Shared, headers: HeaderMap) -> Response {
    if let Err(response) = common_checks(&state, &headers).await {
        return response;
    }
    tokio::time::sleep(state.config.faults.credits_delay).await;
    if state.config.faults.credits_unstated {
        return axum::Json(json!({})).into_response();
    }
    let mut credits = UserCredits::new();
    credits.credits = Some(state.credits());
    credits.free_credits = Some(0.0);
    axum::Json(credits).into_response()
}

/// The request history, with Segmind's query parameters.
pub(crate) async fn history(
    Extract(state): Shared,
    QueryString(pairs): QueryString<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Response {
    let owner = match history_checks(&state, &headers).await {
        Ok(owner) => owner,
        Err(response) => return response,
    };
    let today = days_since_epoch(SystemTime::now());
    let query = match Query::parse(&pairs, today) {
        Ok(query) => query,
        Err(message) => return reply::error(StatusCode::BAD_REQUEST, message),
    };
    let (rows, total) = state.history_page(owner, &query, Instant::now());
    let mut response = axum::Json(json!({
        "data": rows,
        "page": query.page,
        "per_page": query.per_page,
        "total": total,
    }))
    .into_response();
    history_date(&state, &mut response);
    response
}

/// The history's answers are dated by its clock.
fn history_date(state: &State, response: &mut Response) {
    let now = crate::history::shift(
        SystemTime::now(),
        0,
        state.config.faults.history_clock_skew_ms,
    );
    if let Ok(date) = HeaderValue::from_str(&httpdate::fmt_http_date(now)) {
        response.headers_mut().insert(header::DATE, date);
    }
}

/// One request's record.
pub(crate) async fn record(
    Extract(state): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let owner = match history_checks(&state, &headers).await {
        Ok(owner) => owner,
        Err(response) => return response,
    };
    let mut response = match state.history_record(owner, &id, Instant::now()) {
        Some(record) => axum::Json(record).into_response(),
        None => reply::error(StatusCode::NOT_FOUND, format!("Request {id} not found")),
    };
    history_date(&state, &mut response);
    response
}

/// The key, and the history outage fault.
async fn history_checks(
    state: &State,
    headers: &HeaderMap,
) -> Result<crate::key::KeyFingerprint, Response> {
    let owner = common_checks(state, headers).await?;
    if state.config.faults.history_outage {
        return Err(reply::error(
            StatusCode::SERVICE_UNAVAILABLE,
            "Request history is unavailable",
        ));
    }
    Ok(owner)
}

/// Storage upload: `{"data_urls": [...]}` to `{"file_urls": [...]}`.
pub(crate) async fn upload(Extract(state): Shared, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(response) = common_checks(&state, &headers).await {
        return response;
    }
    let value: Value = match serde_json::from_slice(&body) {
        Ok(value) => value,
        Err(e) => {
            return reply::error(
                StatusCode::BAD_REQUEST,
                format!("Request body is not valid JSON: {e}"),
            );
        }
    };
    let request = match UploadAssetRequest::from_json(&value) {
        Ok(request) => request,
        Err(errors) => return reply::error(StatusCode::BAD_REQUEST, errors.to_string()),
    };
    let mut urls = Vec::with_capacity(request.data_urls.len());
    for (i, data_url) in request.data_urls.iter().enumerate() {
        let Some((format, bytes)) = decode_image(data_url) else {
            return reply::error(
                StatusCode::BAD_REQUEST,
                format!("data_urls[{i}] is not a base64 JPEG, PNG or WebP data URI"),
            );
        };
        let name = format!("{}.{}", state.new_id(), format.extension());
        urls.push(format!("{}/files/{name}", state.base_url));
        state.store(name, format.mime_type(), bytes);
    }
    let mut answer = UploadAssetResponse::new();
    match state.config.answers.upload_urls {
        UploadUrls::FileUrls => answer.file_urls = Some(urls),
        UploadUrls::Urls => answer.urls = Some(urls),
    }
    answer.message = Some("Uploaded".into());
    axum::Json(answer).into_response()
}

/// A `data:image/...;base64,...` URI's image.
pub(crate) fn decode_image(data_url: &str) -> Option<(ImageFormat, Bytes)> {
    let (meta, payload) = data_url.strip_prefix("data:")?.split_once(',')?;
    if !meta.to_ascii_lowercase().ends_with(";base64") {
        return None;
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(payload.trim())
        .ok()?;
    let format = ImageFormat::sniff(&bytes)?;
    Some((format, Bytes::from(bytes)))
}

/// `GET /files/{name}`: a stored upload (public, like a storage URL).
pub(crate) async fn file(Extract(state): Shared, Path(name): Path<String>) -> Response {
    match state.stored(&name) {
        Some((mime, bytes)) => {
            let mut response = Response::new(axum::body::Body::from(bytes));
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
            response
        }
        None => reply::error(StatusCode::NOT_FOUND, "Not found"),
    }
}
