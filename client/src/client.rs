//! The async client: synchronous (v1) generations, queued (v2) jobs, and
//! the HTTP plumbing under both (retries, tracing, key handling).

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use reqwest::header::{CONTENT_TYPE, HeaderName, HeaderValue, LOCATION};
use reqwest::{Method, StatusCode, Url, redirect};
use tracing::Instrument as _;

use crate::api_key::ApiKey;
use crate::config::{API_KEY_ENV, ClientBuilder};
use crate::endpoint::Endpoint;
use crate::error::{Error, body_prefix};
use crate::generated::JobSubmitted;
use crate::image::{GeneratedImage, ImageFormat, ImageMetadata};
use crate::poll::{Job, JobHandle, WaitOptions};
use crate::response::{self, Answer, ImageBody};
use crate::retry::{self, RetryPolicy};

/// The header that carries the key. A `HeaderName` rather than a `&str`,
/// so that it is not parsed and checked again on every request.
const API_KEY_HEADER: HeaderName = HeaderName::from_static("x-api-key");

/// The `Content-Type` of every request body.
const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// A Segmind client. Cheap to clone: clones share one connection pool.
///
/// ```no_run
/// use segmind_ideogram::{Client, IdeogramTxt2ImgRequest};
///
/// # async fn demo() -> Result<(), segmind_ideogram::Error> {
/// let client = Client::from_env()?;
/// let image = client.run(&IdeogramTxt2ImgRequest::new("a lighthouse at dusk")).await?;
/// let written = image.save("lighthouse.png")?;
/// println!("{} ({})", written.display(), image.format());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    /// Sends the key; follows redirects only within the base URL's origin.
    api: reqwest::Client,
    /// Never sends the key: downloads from wherever the output lives.
    download: reqwest::Client,
    base: Url,
    key: ApiKey,
    key_header: HeaderValue,
    retry: RetryPolicy,
    jitter: Mutex<fastrand::Rng>,
    wait: WaitOptions,
}

/// One HTTP exchange to make, possibly several times.
pub(crate) struct Call<'a> {
    /// What the tracing span calls it (an endpoint slug, `job.status`, …).
    pub label: &'a str,
    pub method: Method,
    pub url: Url,
    pub body: Option<Bytes>,
    pub with_key: bool,
}

impl<'a> Call<'a> {
    pub fn get(label: &'a str, url: Url, with_key: bool) -> Self {
        Self {
            label,
            method: Method::GET,
            url,
            body: None,
            with_key,
        }
    }

    fn post(label: &'a str, url: Url, body: Bytes) -> Self {
        Self {
            label,
            method: Method::POST,
            url,
            body: Some(body),
            with_key: true,
        }
    }
}

impl Client {
    /// Settings to build a client from.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// A client with default settings and this key.
    pub fn new(api_key: impl Into<ApiKey>) -> Result<Self, Error> {
        Self::builder().api_key(api_key).build()
    }

    /// A client with default settings and the key in `SEGMIND_API_KEY`.
    pub fn from_env() -> Result<Self, Error> {
        let builder = Self::builder().api_key_from_env();
        if builder.api_key.is_none() {
            return Err(Error::Config(format!("{API_KEY_ENV} is not set")));
        }
        builder.build()
    }

    pub(crate) fn from_builder(builder: ClientBuilder) -> Result<Self, Error> {
        let key = builder.api_key.clone().ok_or_else(|| {
            Error::Config(format!("no API key: set {API_KEY_ENV} or call api_key()"))
        })?;
        let key_header = key.header_value()?;
        let base = builder.checked_base_url()?;
        let origin = base.origin();
        let same_origin_only = redirect::Policy::custom(move |attempt| {
            if attempt.url().origin() != origin {
                attempt.stop()
            } else if attempt.previous().len() > 10 {
                attempt.error("too many redirects")
            } else {
                attempt.follow()
            }
        });
        let http = |policy| {
            let mut http = reqwest::Client::builder()
                .user_agent(builder.user_agent.clone())
                .redirect(policy)
                .pool_idle_timeout(builder.pool_idle_timeout);
            if let Some(timeout) = builder.timeout {
                http = http.timeout(timeout);
            }
            if let Some(timeout) = builder.connect_timeout {
                http = http.connect_timeout(timeout);
            }
            http.build()
                .map_err(|e| Error::Config(format!("could not set up HTTP: {e}")))
        };
        Ok(Self {
            inner: Arc::new(Inner {
                api: http(same_origin_only)?,
                download: http(redirect::Policy::limited(10))?,
                base,
                jitter: Mutex::new(builder.retry.rng()),
                key,
                key_header,
                retry: builder.retry,
                wait: builder.wait,
            }),
        })
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        self.inner.base.as_str()
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// How [`generate`](Self::generate) waits for a job.
    pub fn wait_options(&self) -> WaitOptions {
        self.inner.wait.clone()
    }

    /// One synchronous generation (`POST /v1/{slug}`): the image itself.
    ///
    /// The request is validated first; an invalid one is
    /// [`Error::InvalidRequest`] with every violation, and nothing is sent.
    /// The answer may be the image bytes or the JSON form (base64, `data:`
    /// URI, or a URL that is then downloaded). Not retried once it may have
    /// reached the server, since every 200 is billed.
    pub async fn run<E: Endpoint>(&self, request: &E) -> Result<GeneratedImage, Error> {
        self.scrub(self.run_unscrubbed(request).await)
    }

    async fn run_unscrubbed<E: Endpoint>(&self, request: &E) -> Result<GeneratedImage, Error> {
        let body = serialize(request)?;
        let url = self.url(&["v1", E::INFO.slug])?;
        let answer = self.send(&Call::post(E::INFO.slug, url, body)).await?;
        if !answer.status.is_success() {
            return Err(answer.into_api_error());
        }
        let metadata = response::metadata(&answer.headers);
        match response::image_body(&answer)? {
            ImageBody::Image(bytes, format) => Ok(GeneratedImage::new(bytes, format, metadata)),
            ImageBody::Url(url) => self.download_image(&url, metadata).await,
        }
    }

    /// Queues a generation (`POST /v2/{slug}`) and returns its job.
    /// Validated first, like [`run`](Self::run).
    pub async fn submit<E: Endpoint>(&self, request: &E) -> Result<Job, Error> {
        self.scrub(self.submit_unscrubbed(request).await)
    }

    async fn submit_unscrubbed<E: Endpoint>(&self, request: &E) -> Result<Job, Error> {
        if !E::INFO.supports_async {
            return Err(Error::Config(format!(
                "{} has no queued (v2) API",
                E::INFO.slug
            )));
        }
        let body = serialize(request)?;
        let url = self.url(&["v2", E::INFO.slug])?;
        let answer = self.send(&Call::post(E::INFO.slug, url, body)).await?;
        if !answer.status.is_success() {
            return Err(answer.into_api_error());
        }
        let submitted: JobSubmitted = answer.json()?;
        if submitted.request_id.trim().is_empty() {
            return Err(answer.decode_error(Some("request_id".into()), "empty job id"));
        }
        let handle = JobHandle::new(submitted.request_id);
        self.resume(JobHandle {
            status_url: submitted.status_url.unwrap_or_default(),
            response_url: submitted.response_url.unwrap_or_default(),
            ..handle
        })
    }

    /// The job with this id, for one submitted earlier (by this process or
    /// another): `{base}/v2/requests/{id}/status` and `{base}/v2/requests/{id}`.
    pub fn job(&self, request_id: impl Into<String>) -> Result<Job, Error> {
        self.resume(JobHandle::new(request_id))
    }

    /// The job a stored [`JobHandle`] describes. Its URLs are used only when
    /// they share the base URL's origin (the key is sent to them); others,
    /// and missing ones, are rebuilt from the id.
    pub fn resume(&self, handle: JobHandle) -> Result<Job, Error> {
        let id = handle.request_id.trim();
        if id.is_empty() {
            return Err(Error::Config("a job id cannot be empty".into()));
        }
        let status = self.job_url(&handle.status_url, &["v2", "requests", id, "status"])?;
        let result = self.job_url(&handle.response_url, &["v2", "requests", id])?;
        let handle = JobHandle {
            request_id: id.to_owned(),
            status_url: status.to_string(),
            response_url: result.to_string(),
        };
        Ok(Job::new(self.clone(), handle, status, result))
    }

    /// Submits, waits with the client's [`WaitOptions`], and downloads the
    /// output: the queued counterpart of [`run`](Self::run).
    pub async fn generate<E: Endpoint>(&self, request: &E) -> Result<GeneratedImage, Error> {
        self.generate_with(request, self.wait_options()).await
    }

    /// [`generate`](Self::generate) with other wait options.
    pub async fn generate_with<E: Endpoint>(
        &self,
        request: &E,
        options: WaitOptions,
    ) -> Result<GeneratedImage, Error> {
        let job = self.submit(request).await?;
        let result = job.wait(options).await?;
        job.output_image(&result).await
    }

    /// `{base}/{segments…}`, each segment percent-encoded.
    pub(crate) fn url(&self, segments: &[&str]) -> Result<Url, Error> {
        let mut url = self.inner.base.clone();
        url.path_segments_mut()
            .map_err(|()| Error::Config("the base URL cannot take a path".into()))?
            .pop_if_empty()
            .extend(segments);
        Ok(url)
    }

    fn job_url(&self, given: &str, fallback: &[&str]) -> Result<Url, Error> {
        match Url::parse(given) {
            Ok(url) if url.origin() == self.inner.base.origin() => Ok(url),
            Ok(url) => {
                tracing::warn!(
                    host = url.host_str(),
                    "ignoring a job URL outside the base URL's origin"
                );
                self.url(fallback)
            }
            Err(_) => self.url(fallback),
        }
    }

    /// `result` with the key taken out of any server text in its error.
    pub(crate) fn scrub<T>(&self, result: Result<T, Error>) -> Result<T, Error> {
        result.map_err(|e| e.redact(&self.inner.key))
    }

    /// Downloads a generated image. The key goes only to the base URL's
    /// origin; a redirect away from it is followed without the key.
    pub(crate) async fn download_image(
        &self,
        url: &str,
        mut metadata: ImageMetadata,
    ) -> Result<GeneratedImage, Error> {
        let url = Url::parse(url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| Error::Decode {
                status: 200,
                path: None,
                reason: "the output is not an http(s) URL".into(),
                body_prefix: body_prefix(url.as_bytes()),
            })?;
        let same_origin = url.origin() == self.inner.base.origin();
        let mut answer = self
            .send(&Call::get("output", url.clone(), same_origin))
            .await?;
        if same_origin && answer.status.is_redirection() {
            let target = answer
                .headers
                .get(LOCATION)
                .and_then(|l| l.to_str().ok())
                .and_then(|l| url.join(l).ok());
            if let Some(target) = target {
                answer = self.send(&Call::get("output", target, false)).await?;
            }
        }
        if !answer.status.is_success() {
            return Err(answer.into_api_error());
        }
        let format = ImageFormat::sniff(&answer.body).ok_or_else(|| {
            answer.decode_error(None, "the output is not a JPEG, PNG or WebP image")
        })?;
        format
            .check_complete(&answer.body)
            .map_err(|reason| answer.decode_error(None, reason))?;
        metadata.content_type = answer.content_type().map(str::to_owned);
        Ok(GeneratedImage::new(answer.body, format, metadata))
    }

    /// Makes `call`, retrying as the policy allows: statuses 429, 500, 502,
    /// 503 and 504, connection failures, and any failure of a GET. A POST
    /// that may have reached the server is never repeated.
    pub(crate) async fn send(&self, call: &Call<'_>) -> Result<Answer, Error> {
        let attempts = self.inner.retry.attempts();
        let mut attempt = 1;
        loop {
            let span = tracing::info_span!(
                "segmind.request",
                endpoint = call.label,
                method = %call.method,
                attempt,
                status = tracing::field::Empty,
                latency_ms = tracing::field::Empty,
            );
            let started = Instant::now();
            let outcome = self.send_once(call).instrument(span.clone()).await;
            let latency = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            span.record("latency_ms", latency);
            let last = attempt >= attempts;
            let delay = match outcome {
                Ok(answer) => {
                    span.record("status", answer.status.as_u16());
                    if last || !retryable_status(answer.status) {
                        return Ok(answer);
                    }
                    let hint = retry::server_delay(&answer.headers, SystemTime::now());
                    match self.delay(attempt, hint) {
                        Some(delay) => delay,
                        // The server asks for a longer wait than the policy allows.
                        None => return Ok(answer),
                    }
                }
                Err(error) => {
                    if last || !may_repeat(&error, &call.method) {
                        return Err(Error::Transport { source: error });
                    }
                    self.delay(attempt, None).unwrap_or_default()
                }
            };
            tracing::debug!(parent: &span, delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX), "retrying");
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    async fn send_once(&self, call: &Call<'_>) -> Result<Answer, reqwest::Error> {
        let inner = &*self.inner;
        let http = if call.with_key {
            &inner.api
        } else {
            &inner.download
        };
        let mut request = http.request(call.method.clone(), call.url.clone());
        if call.with_key {
            request = request.header(API_KEY_HEADER, inner.key_header.clone());
        }
        if let Some(body) = &call.body {
            request = request.header(CONTENT_TYPE, JSON).body(body.clone());
        }
        let mut response = request.send().await?;
        let status = response.status();
        // Moved out, not cloned: the body is all that is read after this.
        let headers = std::mem::take(response.headers_mut());
        let body = response.bytes().await?;
        Ok(Answer {
            status,
            headers,
            body,
        })
    }

    fn delay(&self, retry: u32, hint: Option<std::time::Duration>) -> Option<std::time::Duration> {
        let mut rng = self
            .inner
            .jitter
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        self.inner.retry.delay(retry, hint, &mut rng)
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base.as_str())
            .field("api_key", &self.inner.key)
            .field("retry", &self.inner.retry)
            .field("wait", &self.inner.wait)
            .finish_non_exhaustive()
    }
}

/// Validates, then serializes.
fn serialize<E: Endpoint>(request: &E) -> Result<Bytes, Error> {
    request.validate()?;
    serde_json::to_vec(request)
        .map(Bytes::from)
        .map_err(|e| Error::Config(format!("could not serialize the request: {e}")))
}

fn retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 500 | 502 | 503 | 504)
}

/// Whether a failed exchange may be made again: always when no connection
/// was made; for a GET, after any failure but a bad redirect or request.
fn may_repeat(error: &reqwest::Error, method: &Method) -> bool {
    error.is_connect() || (*method == Method::GET && !error.is_builder() && !error.is_redirect())
}
