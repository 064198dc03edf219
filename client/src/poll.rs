//! Queued (v2) jobs: a handle that survives restarts, status and result
//! queries, and waiting with a deadline.

use std::fmt;
use std::time::Duration;

use reqwest::{StatusCode, Url};
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::client::{Call, Client};
use crate::error::{Error, body_prefix};
use crate::generated::{JobMetrics, JobResult, JobStatus, JobStatusResponse};
use crate::image::{GeneratedImage, ImageMetadata};
use crate::response::{self, Answer, ImageBody};

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

/// How to wait for a job: poll every `interval` (growing by `backoff` up to
/// `max_interval`) until it ends or `timeout` passes.
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct WaitOptions {
    interval: Duration,
    backoff: f64,
    max_interval: Duration,
    timeout: Duration,
}

impl Default for WaitOptions {
    /// Every 1 s, no backoff, for up to 600 s (as Segmind's Python SDK).
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(1),
            backoff: 1.0,
            max_interval: Duration::from_secs(10),
            timeout: Duration::from_secs(600),
        }
    }
}

impl WaitOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// The time between the first polls (default 1 s).
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// The factor the interval grows by after each poll (default 1: none).
    /// Values below 1, and NaN, count as 1.
    pub fn backoff(mut self, factor: f64) -> Self {
        self.backoff = if factor.is_finite() && factor > 1.0 {
            factor
        } else {
            1.0
        };
        self
    }

    /// The longest interval the backoff reaches (default 10 s).
    pub fn max_interval(mut self, max: Duration) -> Self {
        self.max_interval = max;
        self
    }

    /// How long to wait in all (default 600 s), the deadline of one
    /// [`Job::wait`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The interval after `current`.
    fn next_interval(&self, current: Duration) -> Duration {
        if self.backoff <= 1.0 {
            return current;
        }
        let grown = Duration::try_from_secs_f64(current.as_secs_f64() * self.backoff)
            .unwrap_or(self.max_interval);
        grown.min(self.max_interval.max(self.interval))
    }
}

/// A queued job, bound to the client that follows it. It serializes as its
/// [`JobHandle`].
#[derive(Clone)]
pub struct Job {
    client: Client,
    handle: JobHandle,
    status_url: Url,
    response_url: Url,
}

impl Job {
    pub(crate) fn new(
        client: Client,
        handle: JobHandle,
        status_url: Url,
        response_url: Url,
    ) -> Self {
        Self {
            client,
            handle,
            status_url,
            response_url,
        }
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

    /// The job's state (`GET /v2/requests/{id}/status`). A `FAILED` job is
    /// an `Ok` status here (Segmind serves it as HTTP 422); [`result`](Self::result)
    /// and [`wait`](Self::wait) turn it into [`Error::JobFailed`].
    pub async fn status(&self) -> Result<JobStatusResponse, Error> {
        let call = Call::get("job.status", self.status_url.clone(), true);
        let answer = self.client.send(&call).await;
        self.client.scrub(answer.and_then(|a| self.read(a)))
    }

    /// The job's full result (`GET /v2/requests/{id}`); its `output` is set
    /// once the status is `COMPLETED`.
    pub async fn result(&self) -> Result<JobResult, Error> {
        let call = Call::get("job.result", self.response_url.clone(), true);
        let answer = self.client.send(&call).await;
        let result = answer
            .and_then(|a| self.read::<JobResult>(a))
            .and_then(|result| {
                if result.status == JobStatus::Failed {
                    Err(self.failed(result.error, result.metrics))
                } else {
                    Ok(result)
                }
            });
        self.client.scrub(result)
    }

    /// Polls until the job completes, and returns its result.
    ///
    /// `FAILED` is [`Error::JobFailed`]; an unknown or expired id is
    /// [`Error::JobExpired`]; reaching the deadline is
    /// [`Error::PollTimeout`], after which the job can be waited on again.
    ///
    /// The deadline is checked between polls: a poll under way when it
    /// passes is finished (it is bounded by the client's timeout and retry
    /// policy), so that its answer is not lost.
    pub async fn wait(&self, options: WaitOptions) -> Result<JobResult, Error> {
        self.client.scrub(self.wait_unscrubbed(options).await)
    }

    async fn wait_unscrubbed(&self, options: WaitOptions) -> Result<JobResult, Error> {
        let deadline = Instant::now() + options.timeout;
        let mut interval = options.interval;
        loop {
            let status = self.status().await?;
            tracing::debug!(request_id = %self.handle.request_id, status = %status.status, "job status");
            let last_status = match status.status {
                JobStatus::Failed => return Err(self.failed(status.error, status.metrics)),
                JobStatus::Completed => {
                    let result = self.result().await?;
                    if result.status == JobStatus::Completed {
                        return Ok(result);
                    }
                    // The result lags the status: poll again.
                    result.status
                }
                other => other,
            };
            if Instant::now() + interval >= deadline {
                tokio::time::sleep_until(deadline).await;
                return Err(self.timed_out(Some(last_status)));
            }
            tokio::time::sleep(interval).await;
            interval = options.next_interval(interval);
        }
    }

    /// Downloads the image of a completed result: `output` (a URL or a
    /// `data:` URI, or the first of a list), else the first of `images`.
    pub async fn output_image(&self, result: &JobResult) -> Result<GeneratedImage, Error> {
        self.client
            .scrub(self.output_image_unscrubbed(result).await)
    }

    async fn output_image_unscrubbed(&self, result: &JobResult) -> Result<GeneratedImage, Error> {
        let (path, value) = output_value(result).ok_or_else(|| Error::Decode {
            status: 200,
            path: Some("output".into()),
            reason: "the result holds no image".into(),
            body_prefix: body_prefix(serde_json::to_string(result).unwrap_or_default().as_bytes()),
        })?;
        let metadata = ImageMetadata {
            request_id: Some(self.handle.request_id.clone()),
            cost: result.metrics.as_ref().and_then(|m| m.cost),
            generation_time: result.metrics.as_ref().and_then(|m| m.inference_time),
            ..ImageMetadata::default()
        };
        match response::image_value(value) {
            Ok(ImageBody::Url(url)) => self.client.download_image(&url, metadata).await,
            Ok(ImageBody::Image(bytes, format)) => Ok(GeneratedImage::new(bytes, format, metadata)),
            Err(reason) => Err(Error::Decode {
                status: 200,
                path: Some(path),
                reason,
                body_prefix: body_prefix(value.as_bytes()),
            }),
        }
    }

    /// A status or result document, whatever the HTTP code when it says
    /// `FAILED`; 404 is expiry; other error statuses are API errors.
    fn read<T: serde::de::DeserializeOwned + HasStatus>(&self, answer: Answer) -> Result<T, Error> {
        if answer.status == StatusCode::NOT_FOUND {
            return Err(Error::JobExpired {
                request_id: self.handle.request_id.clone(),
            });
        }
        if answer.status.is_success() {
            return answer.json();
        }
        match answer.json::<T>() {
            Ok(doc) if doc.status() == &JobStatus::Failed => Ok(doc),
            _ => Err(answer.into_api_error()),
        }
    }

    fn failed(&self, error: Option<String>, metrics: Option<JobMetrics>) -> Error {
        Error::JobFailed {
            request_id: self.handle.request_id.clone(),
            message: error.unwrap_or_else(|| "no reason given".into()),
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

/// Documents with a job status.
trait HasStatus {
    fn status(&self) -> &JobStatus;
}

impl HasStatus for JobStatusResponse {
    fn status(&self) -> &JobStatus {
        &self.status
    }
}

impl HasStatus for JobResult {
    fn status(&self) -> &JobStatus {
        &self.status
    }
}

/// The image value of a result and its JSON path.
fn output_value(result: &JobResult) -> Option<(String, &str)> {
    use serde_json::Value;
    let from_output = match &result.output {
        Some(Value::String(s)) => Some(("output".to_owned(), s.as_str())),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| v.as_str().map(|s| (format!("output[{i}]"), s))),
        Some(Value::Object(object)) => ["image", "url"]
            .iter()
            .find_map(|k| object.get(*k)?.as_str().map(|s| (format!("output.{k}"), s))),
        _ => None,
    };
    from_output.or_else(|| {
        let first = result.images.as_ref()?.first()?;
        Some(("images[0]".to_owned(), first.as_str()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_grow_to_the_cap() {
        let options = WaitOptions::new()
            .interval(Duration::from_secs(1))
            .backoff(2.0)
            .max_interval(Duration::from_secs(5));
        let mut i = options.interval;
        let mut seen = Vec::new();
        for _ in 0..5 {
            seen.push(i.as_secs());
            i = options.next_interval(i);
        }
        assert_eq!(seen, [1, 2, 4, 5, 5]);
        let flat = WaitOptions::new().backoff(f64::NAN);
        assert_eq!(
            flat.next_interval(Duration::from_secs(1)),
            Duration::from_secs(1)
        );
    }

    #[test]
    fn outputs_in_every_shape() {
        let url = "https://cdn.example/x.png";
        let r = JobResult::new(JobStatus::Completed).output(serde_json::json!(url));
        assert_eq!(output_value(&r), Some(("output".into(), url)));
        let r = JobResult::new(JobStatus::Completed).output(serde_json::json!([url]));
        assert_eq!(output_value(&r), Some(("output[0]".into(), url)));
        let r = JobResult::new(JobStatus::Completed).images([url.to_owned()]);
        assert_eq!(output_value(&r), Some(("images[0]".into(), url)));
        assert_eq!(output_value(&JobResult::new(JobStatus::Completed)), None);
    }

    #[test]
    fn handles_round_trip() {
        let handle = JobHandle::new("abc");
        let json = serde_json::to_string(&handle).unwrap();
        assert_eq!(serde_json::from_str::<JobHandle>(&json).unwrap(), handle);
        let only_id: JobHandle = serde_json::from_str(r#"{"request_id":"abc"}"#).unwrap();
        assert_eq!(only_id, handle);
    }
}
