//! Queued (v2) jobs: a handle that survives restarts, status and result
//! queries, and waiting with a deadline that holds even when a poll hangs.

use std::fmt;
use std::sync::Arc;

use reqwest::Url;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

/// How long before a wait's deadline the job is looked at if the schedule
/// would not look at it by then: time for the answer to come back.
const LAST_LOOK: std::time::Duration = std::time::Duration::from_secs(1);

/// The first pause after a failed poll, doubled for each failure in a row
/// up to 32 times it.
const TROUBLE_PAUSE: std::time::Duration = std::time::Duration::from_millis(500);

/// Failed polls in a row a wait without a deadline takes before it ends.
const TROUBLES_WITHOUT_DEADLINE: u32 = 20;

use crate::body;
use crate::decode::{self, ImageBody};
use crate::endpoint::EndpointInfo;
use crate::error::{Error, TransportError};
use crate::generated::API;
use crate::generated::{JobMetrics, JobResult, JobStatus, JobStatusResponse, OperationKind};
use crate::image::{GeneratedImage, ImageMetadata};
use crate::outcome::Retry;
use crate::protocol::check_job_id;
use crate::session::Session;
use crate::transport::Exchange;
use crate::wait::{self, Estimate, JobUpdate, Known, Schedule, WaitOptions};

/// What identifies a job: enough to follow it from another process. Store
/// it (it is `Serialize`), and later hand it to
/// [`Client::resume`](crate::Client::resume); or keep only the id and use
/// [`Client::job`](crate::Client::job).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobHandle {
    /// The job's id.
    pub request_id: String,
    /// Absolute URL of the job's status.
    #[serde(default)]
    pub status_url: String,
    /// Absolute URL of the job's result.
    #[serde(default)]
    pub response_url: String,
}

impl JobHandle {
    /// A handle from just the id; the client fills in the URLs.
    pub fn new(request_id: impl Into<String>) -> Self {
        Self {
            request_id: request_id.into(),
            status_url: String::new(),
            response_url: String::new(),
        }
    }
}

/// A queued job, bound to the client that follows it. It serializes as its
/// [`JobHandle`].
#[derive(Clone)]
pub struct Job {
    session: Arc<Session>,
    handle: JobHandle,
    status_url: Url,
    response_url: Url,
    endpoint: Option<&'static EndpointInfo>,
    /// This client's submission, when it made it: for the poll schedule.
    /// Boxed, so that a `Job` (which callers keep in enums) stays the size
    /// it had before the announcement was kept.
    submitted: Option<Box<Submitted>>,
}

/// What this client saw of a job's submission.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Submitted {
    /// When the answer came: the poll schedule's origin.
    pub at: Instant,
    /// How long the server says its jobs take (a mock's announcement).
    pub announced: Option<Estimate>,
}

impl Job {
    /// The job of `handle`. Its URLs are used only when they share the base
    /// URL's origin (the key is sent to them); others, and missing ones,
    /// are rebuilt from the id.
    pub(crate) fn new(
        session: Arc<Session>,
        handle: JobHandle,
        endpoint: Option<&'static EndpointInfo>,
        submitted: Option<Submitted>,
    ) -> Result<Self, Error> {
        check_job_id(&handle.request_id)?;
        let id = handle.request_id.as_str();
        let transport = &session.transport;
        let own_url = |given: &str, template: &str| -> Result<Url, Error> {
            match Url::parse(given) {
                Ok(url) if url.origin() == transport.base().origin() => Ok(url),
                Ok(url) => {
                    tracing::warn!(
                        host = url.host_str(),
                        "ignoring a job URL outside the base URL's origin"
                    );
                    transport.url(template, &[("request_id", id)])
                }
                Err(_) => transport.url(template, &[("request_id", id)]),
            }
        };
        let status_url = own_url(&handle.status_url, API.job_status.path)?;
        let response_url = own_url(&handle.response_url, API.job_result.path)?;
        let handle = JobHandle {
            request_id: handle.request_id,
            status_url: status_url.to_string(),
            response_url: response_url.to_string(),
        };
        Ok(Self {
            session,
            handle,
            status_url,
            response_url,
            endpoint,
            submitted: submitted.map(Box::new),
        })
    }

    /// The job's id.
    pub fn request_id(&self) -> &str {
        &self.handle.request_id
    }

    /// Where its status is read.
    pub fn status_url(&self) -> &str {
        &self.handle.status_url
    }

    /// Where its result is read.
    pub fn response_url(&self) -> &str {
        &self.handle.response_url
    }

    /// What to store to follow the job later.
    pub fn handle(&self) -> &JobHandle {
        &self.handle
    }

    /// The handle, by value.
    pub fn into_handle(self) -> JobHandle {
        self.handle
    }

    /// The endpoint, when this client submitted the job.
    pub fn endpoint(&self) -> Option<&'static EndpointInfo> {
        self.endpoint
    }

    /// The job's state (`GET /v2/requests/{id}/status`). A `FAILED` job is
    /// an `Ok` status here (Segmind serves it as HTTP 422); [`result`](Self::result)
    /// and [`wait`](Self::wait) turn it into [`Error::JobFailed`].
    pub async fn status(&self) -> Result<JobStatusResponse, Error> {
        self.status_before(None).await
    }

    async fn status_before(&self, deadline: Option<Instant>) -> Result<JobStatusResponse, Error> {
        let exchange = Exchange::get_json(
            "job.status",
            OperationKind::JobStatus,
            self.status_url.clone(),
            deadline,
        );
        let id = self.request_id();
        self.session
            .transport
            .execute(&exchange, |answer| decode::job_document(answer, id))
            .await
    }

    /// The job's full result (`GET /v2/requests/{id}`); its `output` is set
    /// once the status is `COMPLETED`.
    pub async fn result(&self) -> Result<JobResult, Error> {
        self.result_before(None).await
    }

    async fn result_before(&self, deadline: Option<Instant>) -> Result<JobResult, Error> {
        let exchange = Exchange::get_json(
            "job.result",
            OperationKind::JobResult,
            self.response_url.clone(),
            deadline,
        );
        let id = self.request_id();
        let result: JobResult = self
            .session
            .transport
            .execute(&exchange, |answer| decode::job_document(answer, id))
            .await?;
        if result.status == JobStatus::Failed {
            return Err(self.failed(result.error, result.metrics));
        }
        Ok(result)
    }

    /// Waits with the client's [`WaitOptions`] until the job completes, and
    /// returns its result. See [`wait_with`](Self::wait_with).
    pub async fn wait(&self) -> Result<JobResult, Error> {
        self.wait_with(self.session.wait.clone()).await
    }

    /// Polls until the job completes, and returns its result.
    ///
    /// `FAILED` is [`Error::JobFailed`]; an unknown or expired id is
    /// [`Error::JobExpired`]; reaching the deadline is
    /// [`Error::PollTimeout`], after which the job can be waited on again.
    /// The deadline holds even when a poll hangs: no request runs past it.
    /// A wait shorter than the schedule's first poll still looks at the
    /// job once, a second before the deadline.
    pub async fn wait_with(&self, options: WaitOptions) -> Result<JobResult, Error> {
        self.wait_with_progress(options, |_| {}).await
    }

    /// [`wait_with`](Self::wait_with), calling `on_update` after every poll
    /// with the job's state, for progress displays.
    pub async fn wait_with_progress(
        &self,
        options: WaitOptions,
        mut on_update: impl FnMut(&JobUpdate),
    ) -> Result<JobResult, Error> {
        let started = Instant::now();
        let deadline = started.checked_add(options.timeout_duration());
        let known = Known {
            announced: self.submitted.as_ref().and_then(|s| s.announced),
            learned: self
                .endpoint
                .and_then(|e| self.session.latency.estimate(e.slug)),
            typical: self
                .endpoint
                .and_then(|e| e.typical_latency_secs)
                .and_then(|s| std::time::Duration::try_from_secs_f64(s).ok()),
        };
        let submitted = self.submitted.as_ref().map(|s| s.at);
        let mut schedule = Schedule::new(&options, known, submitted);
        let mut polls = 0u32;
        let mut last_status = None;
        // A wait shorter than the schedule's first poll (a cold job's comes
        // at half its typical latency) must not give up without asking:
        // the job is looked at once, a second before the deadline, unless
        // it was already looked at then.
        let last_look =
            deadline.map(|d| d.checked_sub(LAST_LOOK).map_or(started, |t| t.max(started)));
        let mut polled_at = None;
        // Failed polls in a row (a 5xx, a reset, a page of HTML, a 429).
        let mut troubles = 0u32;
        loop {
            let mut at = schedule.next_poll(Instant::now());
            if let (Some(deadline), Some(last_look)) = (deadline, last_look)
                && at >= deadline
            {
                if polled_at.is_some_and(|t| t >= last_look) {
                    tokio::time::sleep_until(deadline).await;
                    return Err(self.timed_out(last_status));
                }
                at = last_look;
            }
            tokio::time::sleep_until(at).await;
            polled_at = Some(Instant::now());
            let status = match self.status_before(deadline).await {
                Ok(status) => status,
                Err(e) => {
                    self.after_trouble(e, deadline, &mut troubles, last_status.clone())
                        .await?;
                    continue;
                }
            };
            troubles = 0;
            polls = polls.saturating_add(1);
            tracing::debug!(request_id = %self.handle.request_id, status = %status.status, polls, "job status");
            on_update(&JobUpdate {
                status: status.status.clone(),
                elapsed: started.elapsed(),
                polls,
                metrics: status.metrics.clone(),
            });
            match status.status {
                JobStatus::Failed => return Err(self.failed(status.error, status.metrics)),
                JobStatus::Completed => {
                    let result = match self.result_before(deadline).await {
                        Ok(result) => result,
                        Err(e) => {
                            self.after_trouble(e, deadline, &mut troubles, last_status.clone())
                                .await?;
                            continue;
                        }
                    };
                    if result.status == JobStatus::Completed {
                        self.learn(&result);
                        return Ok(result);
                    }
                    // The result lags the status: poll again.
                    last_status = Some(result.status);
                }
                other => last_status = Some(other),
            }
        }
    }

    /// Remembers how long the job took, for the next jobs' schedules.
    fn learn(&self, result: &JobResult) {
        let Some(endpoint) = self.endpoint else {
            return;
        };
        let took = wait::reported_duration(result.metrics.as_ref())
            .or_else(|| self.submitted.as_ref().map(|s| s.at.elapsed()));
        if let Some(took) = took {
            self.session.latency.record(endpoint.slug, took);
        }
    }

    /// After a failed poll: `Ok` when the wait goes on (the failure may
    /// pass: a status request is free and the job runs on, so a blip
    /// must not end a wait of minutes), after a pause of what the server
    /// asked or a backoff, within the deadline; else the error to end it
    /// with (a failed or expired job, a refused key; at the deadline, the
    /// failure that kept the wait from the job).
    async fn after_trouble(
        &self,
        error: Error,
        deadline: Option<Instant>,
        troubles: &mut u32,
        last_status: Option<JobStatus>,
    ) -> Result<(), Error> {
        *troubles = troubles.saturating_add(1);
        let past = deadline.is_some_and(|d| Instant::now() >= d);
        let give_up = past
            || !error.is_retryable()
            || matches!(error, Error::PollTimeout { .. })
            || (deadline.is_none() && *troubles > TROUBLES_WITHOUT_DEADLINE);
        if give_up {
            return Err(self.past_deadline(error, deadline, last_status));
        }
        let backoff = TROUBLE_PAUSE.saturating_mul(1 << (*troubles - 1).min(5));
        let pause = error.retry_after().unwrap_or(backoff);
        let resume = Instant::now().checked_add(pause);
        match (deadline, resume) {
            (Some(deadline), Some(resume)) if resume < deadline => {
                tracing::debug!(request_id = %self.handle.request_id, %error, ?pause, "poll failed; polling again");
                tokio::time::sleep_until(resume).await;
                Ok(())
            }
            (None, Some(resume)) => {
                tokio::time::sleep_until(resume).await;
                Ok(())
            }
            // The deadline comes first: the wait ends with what kept it
            // from the job (the job goes on; the error says how to fetch).
            (Some(deadline), _) => {
                tokio::time::sleep_until(deadline).await;
                Err(self.past_deadline(error, Some(deadline), last_status))
            }
            (None, None) => Err(error),
        }
    }

    /// An error of a poll, as [`Error::PollTimeout`] when it came from the
    /// deadline running out.
    fn past_deadline(
        &self,
        error: Error,
        deadline: Option<Instant>,
        last_status: Option<JobStatus>,
    ) -> Error {
        match deadline {
            Some(deadline) if error.is_timeout() && Instant::now() >= deadline => {
                self.timed_out(last_status)
            }
            _ => error,
        }
    }

    /// The client's timeout of one request (`None`: none), e.g. as the
    /// limit of [`output_image_within`](Self::output_image_within).
    pub fn request_timeout(&self) -> Option<std::time::Duration> {
        self.session.transport.request_timeout()
    }

    /// [`output_image`](Self::output_image), patient with storage: a 404
    /// (a storage that has not caught up with the job) or a failure that
    /// may be repeated is tried again with backoff (0.5 s, doubling to
    /// 10 s), all of it within `limit`; after that, the last failure (or a
    /// timeout, when a download was still running). A paid image is fetched
    /// this way by the batch and the command line alike.
    pub async fn output_image_within(
        &self,
        result: &JobResult,
        limit: std::time::Duration,
    ) -> Result<GeneratedImage, Error> {
        let started = Instant::now();
        let deadline = started.checked_add(limit);
        let mut delay = std::time::Duration::from_millis(500);
        loop {
            let attempt = self.output_image(result);
            let answer = match deadline {
                Some(deadline) => tokio::time::timeout_at(deadline, attempt).await,
                None => Ok(attempt.await),
            };
            let error = match answer {
                Ok(Ok(image)) => return Ok(image),
                Ok(Err(error)) => error,
                Err(_) => {
                    return Err(Error::Transport(
                        TransportError::timed_out(started.elapsed())
                            .during(OperationKind::OutputDownload),
                    ));
                }
            };
            let again = error.status() == Some(404) || error.outcome().retry() != Retry::Never;
            let resume = Instant::now().checked_add(delay);
            if !again
                || matches!((resume, deadline), (Some(r), Some(d)) if r >= d)
                || resume.is_none()
            {
                return Err(error);
            }
            tracing::debug!(request_id = %self.handle.request_id, %error, ?delay, "output not fetched; trying again");
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(std::time::Duration::from_secs(10));
        }
    }

    /// Downloads the image of a completed result: the first of
    /// [`JobResult::image_refs`] (a URL, or a `data:` URI or base64 that
    /// needs no download), wherever and however the result puts it.
    pub async fn output_image(&self, result: &JobResult) -> Result<GeneratedImage, Error> {
        let transport = &self.session.transport;
        let unreadable = |path: String, reason: String, shown: &[u8]| Error::Decode {
            status: 200,
            operation: OperationKind::JobResult,
            path: Some(path),
            reason,
            body_prefix: body::prefix(&body::redact(transport.key(), shown, false)),
        };
        let located = result.located();
        let Some((path, value)) = located.first() else {
            let whole = serde_json::to_string(result).unwrap_or_default();
            return Err(unreadable(
                "output".into(),
                "the result holds no image (under `output`, `images` or `image`)".into(),
                whole.as_bytes(),
            ));
        };
        let metrics = result.metrics.as_ref();
        let metadata = ImageMetadata {
            request_id: Some(self.handle.request_id.clone()),
            cost: metrics.and_then(|m| m.cost),
            generation_time: metrics.and_then(|m| m.inference_time),
            remaining_credits: metrics.and_then(|m| m.remaining_credits),
            ..ImageMetadata::default()
        };
        match decode::image_value(value) {
            Ok(ImageBody::Url(url)) => transport.download_image(&url, metadata).await,
            Ok(ImageBody::Image(bytes, format)) => Ok(GeneratedImage::new(bytes, format, metadata)),
            Err(reason) => Err(unreadable(path.clone(), reason, value.as_bytes())),
        }
    }

    fn failed(&self, error: Option<String>, metrics: Option<JobMetrics>) -> Error {
        Error::JobFailed {
            request_id: self.handle.request_id.clone(),
            message: error.map_or_else(
                || "no reason given".into(),
                |e| body::redact_text(self.session.transport.key(), e),
            ),
            metrics: metrics.map(Box::new),
        }
    }

    fn timed_out(&self, last_status: Option<JobStatus>) -> Error {
        Error::PollTimeout {
            request_id: self.handle.request_id.clone(),
            last_status,
        }
    }
}

impl fmt::Debug for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Job")
            .field("handle", &self.handle)
            .finish_non_exhaustive()
    }
}

impl Serialize for Job {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.handle.serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_round_trip() {
        let handle = JobHandle::new("abc");
        let json = serde_json::to_string(&handle).unwrap();
        assert_eq!(serde_json::from_str::<JobHandle>(&json).unwrap(), handle);
        let only_id: JobHandle = serde_json::from_str(r#"{"request_id":"abc"}"#).unwrap();
        assert_eq!(only_id, handle);
    }
}
