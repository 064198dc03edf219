//! The routes, each generic over the generated endpoint registry: a slug
//! the spec gains is served without a change here.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::body::{Body, Bytes};
use axum::extract::{Path, State as Extract};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use segmind_ideogram::{
    AnyRequest, EndpointInfo, JobMetrics, JobResult, JobStatus, JobStatusResponse, JobSubmitted,
};
use serde_json::Value;
use tokio::time::Instant;

use crate::picture::stable_hash;
use crate::reply;
use crate::state::{Accepted, Job, Mode, State};

type Shared = Extract<Arc<State>>;

/// A request that passed every check, ready to be answered.
struct Admitted {
    info: &'static EndpointInfo,
    body: Value,
    picture_key: u64,
    width: u32,
    height: u32,
    seed: u64,
    price: f64,
    failure: Option<String>,
}

/// `POST /v1/{slug}`: the image itself.
pub(crate) async fn sync_call(
    Extract(state): Shared,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let admitted = match admit(&state, &slug, &headers, &body).await {
        Ok(a) => a,
        Err(response) => return response,
    };
    if let Some(failure) = admitted.failure {
        return reply::error(StatusCode::UNPROCESSABLE_ENTITY, failure);
    }
    let Some(remaining) = state.charge(admitted.price) else {
        return reply::error(StatusCode::NOT_ACCEPTABLE, "Insufficient credits");
    };
    let request_id = state.new_id();
    state.record(Accepted {
        slug: admitted.info.slug.to_owned(),
        mode: Mode::Sync,
        request_id: request_id.clone(),
        body: admitted.body,
        user_agent: user_agent(&headers),
    });
    let png = state
        .pictures
        .png(admitted.picture_key, admitted.width, admitted.height);
    let mut response = image_response(&state, png);
    let h = response.headers_mut();
    insert(h, "x-remaining-credits", &format_credits(remaining));
    insert(h, "x-seed-value", &admitted.seed.to_string());
    insert(h, "x-cost", &admitted.price.to_string());
    insert(
        h,
        "x-generation-time",
        &format!("{:.3}", state.config.processing_for.as_secs_f64()),
    );
    insert(h, "x-request-id", &request_id);
    response
}

/// `POST /v2/{slug}`: queue a job.
pub(crate) async fn submit(
    Extract(state): Shared,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let admitted = match admit(&state, &slug, &headers, &body).await {
        Ok(a) => a,
        Err(response) => return response,
    };
    let cost = if admitted.failure.is_some() {
        0.0
    } else {
        admitted.price
    };
    if state.charge(cost).is_none() {
        return reply::error(StatusCode::NOT_ACCEPTABLE, "Insufficient credits");
    }
    let id = state.new_id();
    state.insert_job(
        id.clone(),
        Job {
            submitted: Instant::now(),
            processing: state.draw_processing(),
            picture_key: admitted.picture_key,
            width: admitted.width,
            height: admitted.height,
            cost,
            failure: admitted.failure,
            polls: 0,
            noticed: None,
        },
        Instant::now(),
    );
    state.record(Accepted {
        slug: admitted.info.slug.to_owned(),
        mode: Mode::Queued,
        request_id: id.clone(),
        body: admitted.body,
        user_agent: user_agent(&headers),
    });
    let base = &state.base_url;
    let mut submitted = JobSubmitted::new(id.clone(), JobStatus::Queued);
    submitted.status_url = Some(format!("{base}/v2/requests/{id}/status"));
    submitted.response_url = Some(format!("{base}/v2/requests/{id}"));
    submitted.poll_url = Some(format!("{base}/v1/requests/{id}"));
    axum::Json(submitted).into_response()
}

/// `GET /v2/requests/{id}/status` (and the legacy `/v1/requests/{id}`).
pub(crate) async fn status(
    Extract(state): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let view = match JobView::find(&state, id, &headers).await {
        Ok(view) => view,
        Err(response) => return response,
    };
    let mut body = JobStatusResponse::new(view.status.clone());
    body.request_id = Some(view.id.clone());
    body.metrics = view.metrics.clone();
    body.error = view.error.clone();
    view.answer(body)
}

/// `GET /v2/requests/{id}`: the result, with the output image's URL.
pub(crate) async fn result(
    Extract(state): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let view = match JobView::find(&state, id, &headers).await {
        Ok(view) => view,
        Err(response) => return response,
    };
    let mut body = JobResult::new(view.status.clone());
    body.request_id = Some(view.id.clone());
    body.metrics = view.metrics.clone();
    body.error = view.error.clone();
    if view.status == JobStatus::Completed {
        body.output = Some(Value::String(format!(
            "{}/outputs/{}.png",
            state.base_url, view.id
        )));
    }
    view.answer(body)
}

/// What the status and result routes both report about a job.
struct JobView {
    id: String,
    status: JobStatus,
    metrics: Option<JobMetrics>,
    error: Option<String>,
}

impl JobView {
    async fn find(state: &State, id: String, headers: &HeaderMap) -> Result<Self, Response> {
        let (job, now) = find_job(state, &id, headers).await?;
        state.note_poll(&id, now);
        let status = job_status(state, &job, now);
        let failed = status == JobStatus::Failed;
        Ok(Self {
            metrics: metrics(state, &job, &status),
            error: job.failure.filter(|_| failed),
            status,
            id,
        })
    }

    /// 200, or 422 for a FAILED job, as Segmind serves it.
    fn answer(&self, body: impl serde::Serialize) -> Response {
        let code = if self.status == JobStatus::Failed {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        };
        (code, axum::Json(body)).into_response()
    }
}

/// `GET /outputs/{id}.png`: a finished job's image (public, like a storage URL).
pub(crate) async fn output(Extract(state): Shared, Path(file): Path<String>) -> Response {
    let now = Instant::now();
    let found = file
        .strip_suffix(".png")
        .and_then(|id| state.job(id, now))
        .filter(|job| job_status(&state, job, now) == JobStatus::Completed);
    match found {
        Some(job) => image_response(
            &state,
            state.pictures.png(job.picture_key, job.width, job.height),
        ),
        None => reply::error(StatusCode::NOT_FOUND, "Not found"),
    }
}

pub(crate) async fn not_found() -> Response {
    reply::error(StatusCode::NOT_FOUND, "Not found")
}

pub(crate) async fn wrong_method() -> Response {
    reply::method_not_allowed()
}

/// The checks every POST goes through, in the order Segmind answers them.
async fn admit(
    state: &State,
    slug: &str,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Admitted, Response> {
    common_checks(state, headers).await?;
    let info = segmind_ideogram::endpoint(slug)
        .ok_or_else(|| reply::error(StatusCode::NOT_FOUND, format!("Model not found: {slug}")))?;
    if let Err(wait) = state.take_rate_slot(Instant::now()) {
        let mut response = reply::error(
            StatusCode::TOO_MANY_REQUESTS,
            "Rate limit exceeded, please retry later",
        );
        // HTTP-dates have whole seconds: round up so the limit has reset by then.
        let reset = httpdate::fmt_http_date(SystemTime::now() + wait + Duration::from_millis(999));
        insert(response.headers_mut(), "x-rate-limit-reset-at-utc", &reset);
        return Err(response);
    }
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
        });
    if !is_json {
        return Err(reply::error(
            StatusCode::NOT_ACCEPTABLE,
            "Content-Type must be application/json",
        ));
    }
    let body: Value = serde_json::from_slice(body).map_err(|e| {
        reply::error(
            StatusCode::BAD_REQUEST,
            format!("Request body is not valid JSON: {e}"),
        )
    })?;
    match AnyRequest::from_json(slug, &body) {
        Some(Ok(_)) => {}
        Some(Err(errors)) => {
            return Err(reply::error(
                StatusCode::UNPROCESSABLE_ENTITY,
                errors.to_string(),
            ));
        }
        None => {
            return Err(reply::error(
                StatusCode::NOT_FOUND,
                format!("Model not found: {slug}"),
            ));
        }
    }
    let text = ["prompt", "image"]
        .iter()
        .find_map(|k| body.get(*k).and_then(Value::as_str))
        .unwrap_or_default()
        .to_owned();
    let seed = body
        .get("seed")
        .and_then(Value::as_u64)
        .unwrap_or_else(|| 100 + stable_hash(&[text.as_bytes()]) % 999_900);
    let (width, height) = size(info, &body);
    let failure = state
        .config
        .faults
        .fail_word
        .as_deref()
        .filter(|word| !word.is_empty() && text.contains(word))
        .map(|word| format!("Inference failed: content blocked (the prompt contains `{word}`)"));
    Ok(Admitted {
        info,
        picture_key: stable_hash(&[slug.as_bytes(), text.as_bytes(), &seed.to_le_bytes()]),
        width,
        height,
        seed,
        price: info
            .price_usd
            .map_or(state.config.fallback_price_usd, |p| p.min_usd),
        failure,
        body,
    })
}

/// Latency, injected 5xx and the key: what every API route checks first.
async fn common_checks(state: &State, headers: &HeaderMap) -> Result<(), Response> {
    let latency = state.config.faults.added_latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if let Some(code) = state.injected_server_error() {
        let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return Err(reply::error(status, "Injected server error"));
    }
    let key = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let authorised = match &state.config.api_key {
        Some(expected) => key == expected,
        None => !key.is_empty(),
    };
    if !authorised {
        return Err(reply::error(
            StatusCode::UNAUTHORIZED,
            "Unauthorized: missing or invalid API key",
        ));
    }
    Ok(())
}

async fn find_job(
    state: &State,
    id: &str,
    headers: &HeaderMap,
) -> Result<(Job, Instant), Response> {
    common_checks(state, headers).await?;
    let now = Instant::now();
    match state.job(id, now) {
        Some(job) => Ok((job, now)),
        None => Err(reply::error(
            StatusCode::NOT_FOUND,
            format!("Request {id} not found or expired (results are kept one hour)"),
        )),
    }
}

fn job_status(state: &State, job: &Job, now: Instant) -> JobStatus {
    if now < job.submitted + state.config.queued_for {
        JobStatus::Queued
    } else if now < state.finished_at(job) {
        JobStatus::Processing
    } else if job.failure.is_some() {
        JobStatus::Failed
    } else {
        JobStatus::Completed
    }
}

fn metrics(state: &State, job: &Job, status: &JobStatus) -> Option<JobMetrics> {
    if !matches!(status, JobStatus::Completed | JobStatus::Failed) {
        return None;
    }
    let queue = state.config.queued_for.as_secs_f64();
    let inference = job.processing.as_secs_f64();
    let mut m = JobMetrics::new();
    m.queue_time = Some(queue);
    m.inference_time = Some(inference);
    m.total_time = Some(queue + inference);
    m.cost = Some(job.cost);
    Some(m)
}

/// Width and height from the request's `resolution` (or the endpoint's
/// default): the two numbers in `RESOLUTION_W_H` or `WxH`.
fn size(info: &EndpointInfo, body: &Value) -> (u32, u32) {
    let resolution = body
        .get("resolution")
        .and_then(Value::as_str)
        .or_else(|| info.field("resolution").and_then(|f| f.default))
        .unwrap_or("1024x1024");
    let numbers: Vec<u32> = resolution
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    match numbers[..] {
        [w, h] if w > 0 && h > 0 && w <= 4096 && h <= 4096 => (w, h),
        _ => (1024, 1024),
    }
}

/// A PNG answer, or (with the drop fault) half of one on a cut connection.
fn image_response(state: &State, png: Bytes) -> Response {
    let mut response = if state.drop_connection() {
        use futures_util::StreamExt;
        let half = png.slice(..png.len() / 2);
        // Headers and half the body go out first; the cut comes a moment later.
        let chunks = futures_util::stream::once(async move { Ok::<Bytes, std::io::Error>(half) })
            .chain(futures_util::stream::once(async {
                tokio::time::sleep(Duration::from_millis(20)).await;
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "injected drop",
                ))
            }));
        let mut response = Response::new(Body::from_stream(chunks));
        insert(
            response.headers_mut(),
            "content-length",
            &png.len().to_string(),
        );
        response
    } else {
        Response::new(Body::from(png))
    };
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("image/png"));
    response
}

fn user_agent(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn insert(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

fn format_credits(credits: f64) -> String {
    let text = format!("{credits:.4}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}
