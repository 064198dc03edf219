//! The checks every API request goes through before it is answered, in the
//! order Segmind answers them: latency and injected 5xx, the key, the
//! model (unknown 404, retired 410), the rate limit, the content type and
//! the body. Charging, and its 406s, comes after, in the handlers.

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use segmind_ideogram::{API, AnyRequest, EndpointInfo};
use serde_json::Value;
use tokio::time::Instant;

use crate::clock;
use crate::key::{self, KeyFingerprint};
use crate::picture::stable_hash;
use crate::reply;
use crate::state::State;

/// A POST that passed every check, ready to be charged and answered.
pub(crate) struct Admitted {
    pub info: &'static EndpointInfo,
    pub owner: KeyFingerprint,
    pub body: Value,
    pub picture_key: u64,
    pub width: u32,
    pub height: u32,
    pub seed: u64,
    pub price: f64,
    pub failure: Option<String>,
}

impl Admitted {
    /// What the call costs: nothing when it will fail, as a content block
    /// is not billed.
    pub fn cost(&self) -> f64 {
        if self.failure.is_some() {
            0.0
        } else {
            self.price
        }
    }
}

/// Checks a sync call or a submission to `info`'s endpoint.
pub(crate) async fn admit(
    state: &State,
    info: &'static EndpointInfo,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Admitted, Response> {
    let slug = info.slug;
    let owner = common_checks(state, headers).await?;
    // A retired slug stays in the registry; only its POSTs are refused.
    if state.config.retired.iter().any(|retired| retired == slug) {
        return Err(reply::retired_model(slug));
    }
    if let Err(wait) = state.take_rate_slot(Instant::now()) {
        state.note_rate_limited();
        let mut response = reply::error(
            StatusCode::TOO_MANY_REQUESTS,
            "Rate limit exceeded, please retry later",
        );
        let headers = response.headers_mut();
        if let Ok(reset) = clock::http_date_in(wait).parse() {
            headers.insert(API.headers.rate_limit_reset, reset);
        }
        if state.config.answers.extras {
            crate::handlers::insert(headers, API.headers.rate_limit_remaining, "0");
        }
        if let Some(Ok(value)) = state.config.faults.retry_after.as_deref().map(str::parse) {
            headers.insert(header::RETRY_AFTER, value);
        }
        return Err(response);
    }
    if !is_json(headers) {
        return Err(reply::error(
            StatusCode::NOT_ACCEPTABLE,
            reply::WRONG_CONTENT_TYPE,
        ));
    }
    let body: Value = serde_json::from_slice(body).map_err(|e| {
        reply::error(
            StatusCode::BAD_REQUEST,
            format!("Request body is not valid JSON: {e}"),
        )
    })?;
    let request = match AnyRequest::from_json(slug, &body) {
        Some(Ok(request)) => request,
        Some(Err(errors)) => {
            return Err(reply::error(
                StatusCode::UNPROCESSABLE_ENTITY,
                errors.to_string(),
            ));
        }
        None => return Err(reply::unknown_model(slug)),
    };
    let text = identity(&request);
    let seed = request
        .seed_value()
        .unwrap_or_else(|| default_seed(&request, &text));
    let (width, height) = crate::sizes::picture_size(state, request.output_size(), &body);
    let failure = state
        .config
        .faults
        .fail_word
        .as_deref()
        .filter(|word| !word.is_empty() && text.contains(word))
        .map(|word| format!("Inference failed: content blocked (the prompt contains `{word}`)"));
    Ok(Admitted {
        info,
        owner,
        picture_key: stable_hash(&[slug.as_bytes(), text.as_bytes(), &seed.to_le_bytes()]),
        width,
        height,
        seed,
        price: state.config.real_price_usd.unwrap_or_else(|| {
            info.price_usd
                .map_or(state.config.fallback_price_usd, |p| p.min_usd)
        }),
        failure,
        body,
    })
}

/// Latency, injected 5xx and the key: what every API route checks first.
/// Gives the fingerprint of the accepted key.
pub(crate) async fn common_checks(
    state: &State,
    headers: &HeaderMap,
) -> Result<KeyFingerprint, Response> {
    let latency = state.config.faults.added_latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if let Some(code) = state.injected_server_error() {
        let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return Err(reply::error(status, "Injected server error"));
    }
    key::authorised(&state.config, headers).ok_or_else(|| {
        reply::error(
            StatusCode::UNAUTHORIZED,
            "Unauthorized: missing or invalid API key",
        )
    })
}

/// The seed a request without one gets: drawn from its text, inside the
/// range the spec gives the endpoint's seed (any, when it gives none).
fn default_seed(request: &AnyRequest, text: &str) -> u64 {
    let hash = stable_hash(&[text.as_bytes()]);
    match request.seed_range() {
        Some((min, max)) => {
            let min = u64::try_from(min).unwrap_or(0);
            let span = u64::try_from(max).unwrap_or(0).saturating_sub(min);
            min.saturating_add(hash % span.saturating_add(1).max(1))
        }
        None => hash,
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

/// The text a request is known by, which its picture, its default seed
/// and the fail word go by: the prompt, or for an endpoint without one the
/// whole request as JSON (canonical: the typed request's member order).
fn identity(request: &AnyRequest) -> String {
    match request.prompt_text() {
        Some(prompt) => prompt.to_owned(),
        // A validated request always serializes; an empty identity would
        // still be deterministic.
        None => serde_json::to_string(request).unwrap_or_default(),
    }
}
