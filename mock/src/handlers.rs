//! The routes, each generic over the generated endpoint registry: a slug
//! the spec gains is served without a change here.

use std::sync::Arc;
use std::time::Duration;

use std::time::SystemTime;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State as Extract};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use segmind_ideogram::{
    API, EndpointInfo, JobMetrics, JobResult, JobStatus, JobStatusResponse, JobSubmitted, Operation,
};
use tokio::time::Instant;

use crate::accepted::{Accepted, Mode};
use crate::admission::{self, Admitted, admit};
use crate::clock;
use crate::history::Row;
use crate::key;
use crate::reply;
use crate::state::{Asked, Job, Refusal, State};

type Shared = Extract<Arc<State>>;

/// A sync call (`POST /v1/{slug}`): the image itself.
pub(crate) async fn sync_call(
    state: Arc<State>,
    info: &'static EndpointInfo,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    state.note_generation_post();
    let admitted = match admit(&state, info, &headers, &body).await {
        Ok(a) => a,
        Err(response) => return response,
    };
    let remaining = match state.charge(admitted.cost()) {
        Ok(remaining) => remaining,
        Err(refusal) => return refused(&state, refusal, Mode::Sync),
    };
    if let Some(failure) = &admitted.failure {
        return reply::error(StatusCode::UNPROCESSABLE_ENTITY, failure.clone());
    }
    let request_id = state.new_id();
    let png = state
        .pictures
        .png(admitted.picture_key, admitted.width, admitted.height);
    let mut response = image_response(&state, png);
    let (h, names) = (response.headers_mut(), &API.headers);
    insert(h, names.remaining_credits, &format_credits(remaining));
    insert(h, names.seed, &admitted.seed.to_string());
    insert(h, names.cost, &admitted.price.to_string());
    insert(
        h,
        names.generation_time,
        &format!("{:.3}", state.config.processing_for.as_secs_f64()),
    );
    insert(h, names.request_id, &request_id);
    if state.config.answers.extras {
        let (width, height) = (admitted.width, admitted.height);
        insert(
            h,
            names.output_metadata,
            &format!(r#"{{"width":{width},"height":{height},"format":"png"}}"#),
        );
        insert(h, names.gpu_info, "mock-gpu");
    }
    let now = Instant::now();
    state.add_history(history_row(
        &state,
        &admitted,
        &request_id,
        now,
        Some(now),
        None,
    ));
    state.record(accepted(admitted, Mode::Sync, &request_id, &headers));
    response
}

/// A submission (`POST /v2/{slug}`): queue a job.
pub(crate) async fn submit(
    state: Arc<State>,
    info: &'static EndpointInfo,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    state.note_generation_post();
    let admitted = match admit(&state, info, &headers, &body).await {
        Ok(a) => a,
        Err(response) => return response,
    };
    if let Err(refusal) = state.charge(admitted.cost()) {
        return refused(&state, refusal, Mode::Queued);
    }
    let (id, processing) = state.new_job_draw();
    let now = Instant::now();
    let ends = clock::after(now, state.config.queued_for.saturating_add(processing));
    // (Listed once per output: `MockBuilder::history_rows_per_request`.)
    let output = output_urls(&state, &id).into_iter().next();
    state.add_history(history_row(&state, &admitted, &id, now, ends, output));
    state.insert_job(
        id.clone(),
        Job {
            owner: admitted.owner,
            submitted: now,
            processing,
            picture_key: admitted.picture_key,
            width: admitted.width,
            height: admitted.height,
            cost: admitted.cost(),
            failure: admitted.failure.clone(),
            polls: 0,
            status_polls: 0,
            noticed: None,
        },
        now,
    );
    state.record(accepted(admitted, Mode::Queued, &id, &headers));
    let mut submitted = JobSubmitted::new(id.clone());
    submitted.status_url = job_url(&state, &API.job_status, &id);
    submitted.response_url = job_url(&state, &API.job_result, &id);
    if state.config.answers.submit_status {
        submitted.status = Some(JobStatus::Queued);
        submitted.poll_url = job_url(&state, &API.job_poll_legacy, &id);
    }
    // The job is queued and charged: a client that gives up now has paid.
    tokio::time::sleep(state.config.faults.accepted_answer_delay).await;
    axum::Json(submitted).into_response()
}

/// The absolute URL of a job's operation on this server.
fn job_url(state: &State, operation: &Operation, id: &str) -> Option<String> {
    operation.url(&state.base_url, &[("request_id", id)]).ok()
}

/// The URLs of a job's images: `/outputs/<id>.png`, then
/// `/outputs/<id>.<n>.png` for the n-th (from 1) of several.
fn output_urls(state: &State, id: &str) -> Vec<String> {
    let count = state.config.answers.images_per_job.max(1);
    (0..count)
        .map(|n| match n {
            0 => format!("{}/outputs/{id}.png", state.base_url),
            n => format!("{}/outputs/{id}.{n}.png", state.base_url),
        })
        .collect()
}

/// The history row of an accepted request.
fn history_row(
    state: &State,
    admitted: &Admitted,
    id: &str,
    now: Instant,
    ends: Option<Instant>,
    output_url: Option<String>,
) -> Row {
    Row {
        request_id: id.to_owned(),
        owner: admitted.owner,
        slug: admitted.info.slug,
        body: admitted.body.clone(),
        created: SystemTime::now(),
        lands: clock::after(now, state.config.faults.history_lag).unwrap_or(now),
        ends,
        cost: admitted.cost(),
        failure: admitted.failure.clone(),
        output_url,
        latency: ends
            .map(|end| end.saturating_duration_since(now))
            .unwrap_or_default(),
    }
}

/// `GET /v2/requests/{id}/status`.
pub(crate) async fn status(
    Extract(state): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let view = match JobView::find(&state, id, &headers, Asked::Status).await {
        Ok(view) => view,
        Err(response) => return response,
    };
    let mut body = JobStatusResponse::new(view.status.clone());
    body.request_id = view.request_id();
    body.metrics = view.metrics.clone();
    body.error = view.error.clone();
    view.answer(body)
}

/// `GET /v2/requests/{id}` (and the legacy `/v1/requests/{id}`, which
/// serves the finished output too): the result, with the output image's URL.
pub(crate) async fn result(
    Extract(state): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let view = match JobView::find(&state, id, &headers, Asked::Result).await {
        Ok(view) => view,
        Err(response) => return response,
    };
    let mut body = JobResult::new(view.status.clone());
    body.request_id = view.request_id();
    body.metrics = view.metrics.clone();
    body.error = view.error.clone();
    if view.status == JobStatus::Completed {
        let urls = output_urls(&state, &view.id);
        let (key, width, height) = view.picture;
        let size = state.pictures.png(key, width, height).len();
        for (member, value) in state.config.answers.media_members(&urls, size) {
            match member {
                "output" => body.output = Some(value),
                "images" => body.images = Some(value),
                _ => body.image = Some(value),
            }
        }
    }
    view.answer(body)
}

/// What the status and result routes both report about a job.
struct JobView {
    id: String,
    status: JobStatus,
    metrics: Option<JobMetrics>,
    error: Option<String>,
    /// Its picture (key, width, height), for answers that state its size.
    picture: (u64, u32, u32),
    /// Whether its answers name it.
    named: bool,
}

impl JobView {
    async fn find(
        state: &State,
        id: String,
        headers: &HeaderMap,
        asked: Asked,
    ) -> Result<Self, Response> {
        let (job, now) = find_job(state, &id, headers).await?;
        state.note_poll(&id, now, asked);
        if state.garbage_answer() {
            return Err(reply::html_page());
        }
        let status = job_status(state, &job, now);
        let failed = status == JobStatus::Failed;
        Ok(Self {
            picture: (job.picture_key, job.width, job.height),
            metrics: metrics(state, &job, &status),
            error: job.failure.filter(|_| failed),
            named: !failed || state.config.answers.failed_request_id,
            status,
            id,
        })
    }

    /// The `request_id` member of its answers.
    fn request_id(&self) -> Option<String> {
        self.named.then(|| self.id.clone())
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

/// `GET /outputs/{id}.png`: a finished job's image. Public, like a storage
/// URL, when fetched without a key; with a key, only its owner's.
pub(crate) async fn output(
    Extract(state): Shared,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let faults = &state.config.faults;
    tokio::time::sleep(faults.output_delay).await;
    if state.output_fetched(&file) < faults.output_missing_first {
        // A storage that has not caught up with the job yet.
        return reply::error(StatusCode::NOT_FOUND, "Not found");
    }
    let now = Instant::now();
    // `<id>.png`, or `<id>.<n>.png` for a job's n-th image.
    let (id, n) = match file.strip_suffix(".png") {
        Some(stem) => match stem.split_once('.') {
            Some((id, n)) => (id, n.parse::<u32>().ok().filter(|n| *n > 0)),
            None => (stem, Some(0)),
        },
        None => ("", None),
    };
    let found = n
        .filter(|n| *n < state.config.answers.images_per_job.max(1))
        .and_then(|n| {
            let job = match key::sent(&headers) {
                Some(owner) => state.job(id, owner, now),
                None => state.public_job(id, now),
            };
            job.map(|job| (job, n))
        })
        .filter(|(job, _)| job_status(&state, job, now) == JobStatus::Completed);
    match found {
        Some((job, n)) => image_response(
            &state,
            state.pictures.png(
                job.picture_key.wrapping_add(u64::from(n)),
                job.width,
                job.height,
            ),
        ),
        None => reply::error(StatusCode::NOT_FOUND, "Not found"),
    }
}

/// Anything unrouted: a POST to a path of an endpoint's shape names a
/// model nobody serves (Segmind's 404 says so); the rest is not found.
pub(crate) async fn not_found(method: axum::http::Method, uri: axum::http::Uri) -> Response {
    let segments: Vec<&str> = uri.path().split('/').filter(|s| !s.is_empty()).collect();
    match segments.as_slice() {
        [_, slug] if method == axum::http::Method::POST => reply::unknown_model(slug),
        _ => reply::error(StatusCode::NOT_FOUND, "Not found"),
    }
}

pub(crate) async fn wrong_method() -> Response {
    reply::method_not_allowed()
}

/// The job `id` if the request's key created it; 404 as for an unknown id
/// otherwise.
async fn find_job(
    state: &State,
    id: &str,
    headers: &HeaderMap,
) -> Result<(Job, Instant), Response> {
    let owner = admission::common_checks(state, headers).await?;
    let now = Instant::now();
    match state.job(id, owner, now) {
        Some(job) => Ok((job, now)),
        None => Err(reply::error(
            StatusCode::NOT_FOUND,
            format!("Request {id} not found or expired (results are kept one hour)"),
        )),
    }
}

/// 406 (or, for a queued submission without credits, what the answers'
/// shapes say: 402 as seen live), with the message that says why.
fn refused(state: &State, refusal: Refusal, mode: Mode) -> Response {
    let answers = &state.config.answers;
    match refusal {
        Refusal::InsufficientCredits => {
            let status = match mode {
                Mode::Queued => StatusCode::from_u16(answers.no_credits_status_v2)
                    .unwrap_or(StatusCode::NOT_ACCEPTABLE),
                Mode::Sync => StatusCode::NOT_ACCEPTABLE,
            };
            reply::error(status, answers.no_credits_message(state.credits()))
        }
        Refusal::SpendLimitReached => {
            reply::error(StatusCode::NOT_ACCEPTABLE, reply::SPEND_LIMIT_REACHED)
        }
    }
}

fn accepted(admitted: Admitted, mode: Mode, id: &str, headers: &HeaderMap) -> Accepted {
    Accepted {
        slug: admitted.info.slug.to_owned(),
        mode,
        request_id: id.to_owned(),
        body: admitted.body,
        user_agent: user_agent(headers),
        key: admitted.owner,
        at: std::time::SystemTime::now(),
    }
}

fn job_status(state: &State, job: &Job, now: Instant) -> JobStatus {
    let before = |end: Option<Instant>| end.is_none_or(|end| now < end);
    if before(state.started_at(job)) {
        JobStatus::Queued
    } else if before(state.finished_at(job)) {
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
    // A FAILED job carries no billing fields (nothing was charged), as
    // the captured FAILED answer shows: its timings only.
    if *status == JobStatus::Failed {
        return Some(m);
    }
    m.total_time = Some(queue + inference);
    m.cost = Some(job.cost);
    Some(state.config.answers.metrics(m, state.credits()))
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

pub(crate) fn insert(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

fn format_credits(credits: f64) -> String {
    let text = format!("{credits:.4}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}
