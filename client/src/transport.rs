//! The one path every HTTP exchange of the client takes: v1 calls, v2
//! submissions, status and result polls, output downloads. It applies the
//! retry policy, the deadline and the body caps, and turns the answer into
//! a typed value or an error that says whether the request was sent. Server
//! text is redacted once, on the whole body, before anything is cut.
//!
//! It is not generic over endpoints: a request is a method, a URL, body
//! bytes and the kind of answer expected (as async-stripe's `StripeRequest`).

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use reqwest::header::{CONTENT_TYPE, HeaderName, HeaderValue, LOCATION};
use reqwest::{Method, Url, redirect};
use tokio::time::Instant;
use tracing::Instrument as _;

use crate::api_key::ApiKey;
use crate::body::{self, ERROR_BODY_LIMIT, Overflow, ReadError};
use crate::config::ClientBuilder;
use crate::decode::{self, Answer};
use crate::endpoint::Operation;
use crate::error::{BodyKind, Error, TransportError};
use crate::generated::{API, OperationKind};
use crate::image::{GeneratedImage, ImageMetadata};
use crate::pace::Pacer;
use crate::protocol;
use crate::retry;
use crate::retry::RetryPolicy;

/// The `Content-Type` of every request body.
const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// One HTTP exchange to make, possibly several times.
pub(crate) struct Exchange<'a> {
    /// What the tracing span calls it (an endpoint slug, `job.status`, …).
    pub label: &'a str,
    /// Which operation it is: what its answers mean (the spec's `x-outcomes`).
    pub operation: OperationKind,
    pub method: Method,
    pub url: Url,
    pub body: Option<Bytes>,
    /// Whether the key goes with it (only to the base URL's origin).
    pub with_key: bool,
    /// What a success answer's body holds, which sets its cap.
    pub expect: BodyKind,
    /// No attempt runs, and no retry waits, past this instant.
    pub deadline: Option<Instant>,
    /// A submission: it waits for its turn with the client's pacer.
    pub paced: bool,
    /// Called right before each attempt is sent (after the pacer's turn);
    /// when it fails, that attempt is not made.
    pub before_send: Option<&'a BeforeSend<'a>>,
}

/// A caller's hook run right before each attempt of a request is sent.
pub(crate) type BeforeSend<'a> = dyn Fn() -> std::io::Result<()> + Send + Sync + 'a;

impl<'a> Exchange<'a> {
    /// A POST of a JSON body with the key.
    pub fn post(
        label: &'a str,
        operation: OperationKind,
        url: Url,
        body: Bytes,
        expect: BodyKind,
    ) -> Self {
        Self {
            label,
            operation,
            method: Method::POST,
            url,
            body: Some(body),
            with_key: true,
            expect,
            deadline: None,
            paced: false,
            before_send: None,
        }
    }

    /// A generation's POST (a v1 call or a v2 submit): paced.
    pub fn submission(
        label: &'a str,
        operation: OperationKind,
        url: Url,
        body: Bytes,
        expect: BodyKind,
    ) -> Self {
        Self {
            paced: true,
            ..Self::post(label, operation, url, body, expect)
        }
    }

    /// A GET of a JSON document with the key.
    pub fn get_json(
        label: &'a str,
        operation: OperationKind,
        url: Url,
        deadline: Option<Instant>,
    ) -> Self {
        Self {
            label,
            operation,
            method: Method::GET,
            url,
            body: None,
            with_key: true,
            expect: BodyKind::Json,
            deadline,
            paced: false,
            before_send: None,
        }
    }
}

/// Body caps, from the builder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    pub image: u64,
    pub json: u64,
}

impl Limits {
    fn cap(&self, kind: BodyKind) -> u64 {
        match kind {
            BodyKind::Image => self.image,
            BodyKind::Json => self.json,
        }
    }
}

pub(crate) struct Transport {
    /// Sends the key; follows a redirect only within the origin it started on.
    api: reqwest::Client,
    /// Never sends the key: downloads from wherever the output lives.
    download: reqwest::Client,
    base: Url,
    /// Where the operations the spec puts on other servers go (the request
    /// history, storage): the spec's server, and the base URL used for it.
    hosts: Vec<(&'static str, Url)>,
    key: ApiKey,
    key_header: HeaderValue,
    key_header_name: HeaderName,
    retry: RetryPolicy,
    jitter: Mutex<fastrand::Rng>,
    /// The limit on one attempt (connect, send, read the whole body).
    timeout: Option<Duration>,
    limits: Limits,
    pacer: Option<Pacer>,
}

impl Transport {
    /// How long one attempt may take (`None`: unbounded).
    pub fn request_timeout(&self) -> Option<Duration> {
        self.timeout
    }

    pub fn new(builder: &ClientBuilder, key: ApiKey) -> Result<Self, Error> {
        let key_header = key.header_value()?;
        let base = builder.checked_base_url()?;
        let mut hosts = Vec::new();
        for (op, configured) in [
            (API.request_history, builder.history_base_url.as_deref()),
            (API.request_record, builder.history_base_url.as_deref()),
            (API.upload_asset, builder.storage_base_url.as_deref()),
        ] {
            if let Some(server) = op.server {
                hosts.push((server, builder.checked_host_url(configured, Some(server))?));
            }
        }
        // The key goes with a request, so a redirect may not take it to
        // another origin than the one the request was made to.
        let same_origin_only = redirect::Policy::custom(move |attempt| {
            let started = attempt.previous().first().map(Url::origin);
            if started.is_some_and(|origin| origin != attempt.url().origin()) {
                attempt.stop()
            } else if attempt.previous().len() > 10 {
                attempt.error("too many redirects")
            } else {
                attempt.follow()
            }
        });
        let http = |policy| {
            let start = match &builder.http {
                Some(custom) => custom.make(),
                None => crate::tls::default_builder(),
            };
            let mut http = start
                .user_agent(builder.user_agent.clone())
                .redirect(policy)
                .pool_idle_timeout(builder.pool_idle_timeout);
            if let Some(timeout) = builder.connect_timeout {
                http = http.connect_timeout(timeout);
            }
            http.build()
                .map_err(|e| Error::Config(format!("could not set up HTTP: {e}")))
        };
        Ok(Self {
            api: http(same_origin_only)?,
            download: http(redirect::Policy::limited(10))?,
            base,
            hosts,
            key,
            key_header,
            key_header_name: HeaderName::from_bytes(API.auth_header.as_bytes())
                .map_err(|e| Error::Config(format!("the spec's auth header: {e}")))?,
            jitter: Mutex::new(builder.retry.rng()),
            retry: builder.retry.clone(),
            timeout: builder.timeout,
            limits: Limits {
                image: builder.max_image_bytes,
                json: builder.max_json_bytes,
            },
            pacer: builder.pacer.clone(),
        })
    }

    pub fn base(&self) -> &Url {
        &self.base
    }

    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    pub fn key(&self) -> &ApiKey {
        &self.key
    }

    /// `{base}` + a protocol path template with its variables.
    pub fn url(&self, template: &str, vars: &[(&str, &str)]) -> Result<Url, Error> {
        protocol::url(&self.base, template, vars)
    }

    /// The URL of `operation`, on the host it lives on.
    pub fn operation_url(
        &self,
        operation: &Operation,
        vars: &[(&str, &str)],
    ) -> Result<Url, Error> {
        let base = operation
            .server
            .and_then(|server| self.hosts.iter().find(|(s, _)| *s == server))
            .map_or(&self.base, |(_, url)| url);
        protocol::url(base, operation.path, vars)
    }

    /// Makes the exchange, retrying as the policy allows, and decodes the
    /// answer with `decode`. A decode failure counts as a failed attempt, so
    /// a GET whose answer made no sense (an HTML page where JSON belongs) is
    /// made again.
    pub async fn execute<T>(
        &self,
        exchange: &Exchange<'_>,
        decode: impl Fn(Answer) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let mut attempt = 1;
        loop {
            let turn = match self.pacer.as_ref().filter(|_| exchange.paced) {
                Some(pacer) => Some(pacer.turn().await.map_err(|_| Error::Interrupted)?),
                None => None,
            };
            if let Some(hook) = exchange.before_send {
                // The turn ends unused when dropped.
                hook().map_err(Error::BeforeSend)?;
            }
            let outcome = self.attempt(exchange, attempt).await;
            if let Some(turn) = turn {
                match &outcome {
                    Ok(answer) => turn.end(
                        Some(answer.status),
                        retry::server_delay(&answer.headers, SystemTime::now()),
                    ),
                    Err(_) => turn.end(None, None),
                }
            }
            let error = match outcome {
                Ok(answer) => match decode(answer) {
                    Ok(value) => return Ok(value),
                    Err(error) => error,
                },
                Err(error) => error,
            };
            self.before_retry(exchange, attempt, error).await?;
            attempt += 1;
        }
    }

    /// One attempt in its tracing span, bounded by the smaller of the
    /// attempt timeout and the time left before the deadline.
    async fn attempt(&self, exchange: &Exchange<'_>, attempt: u32) -> Result<Answer, Error> {
        let span = tracing::info_span!(
            "segmind.request",
            endpoint = exchange.label,
            method = %exchange.method,
            attempt,
            status = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        );
        let started = Instant::now();
        let budget = match (self.timeout, exchange.deadline) {
            (timeout, Some(deadline)) => {
                let left = deadline.saturating_duration_since(started);
                if left.is_zero() {
                    return Err(Error::Transport(
                        TransportError::timed_out(Duration::ZERO).during(exchange.operation),
                    ));
                }
                Some(timeout.map_or(left, |t| t.min(left)))
            }
            (timeout, None) => timeout,
        };
        let send = self.send_once(exchange).instrument(span.clone());
        let outcome = match budget {
            Some(budget) => tokio::time::timeout(budget, send)
                .await
                .unwrap_or_else(|_| {
                    Err(Error::Transport(
                        TransportError::timed_out(budget).during(exchange.operation),
                    ))
                }),
            None => send.await,
        };
        let latency = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        span.record("latency_ms", latency);
        if let Ok(answer) = &outcome {
            span.record("status", answer.status.as_u16());
        }
        outcome
    }

    async fn send_once(&self, exchange: &Exchange<'_>) -> Result<Answer, Error> {
        let http = if exchange.with_key {
            &self.api
        } else {
            &self.download
        };
        let mut request = http.request(exchange.method.clone(), exchange.url.clone());
        if exchange.with_key {
            request = request.header(self.key_header_name.clone(), self.key_header.clone());
        }
        if let Some(body) = &exchange.body {
            request = request.header(CONTENT_TYPE, JSON).body(body.clone());
        }
        let operation = exchange.operation;
        let mut response = request
            .send()
            .await
            .map_err(|e| transport_error(e, operation))?;
        let status = response.status();
        // Moved out, not cloned: the body is all that is read after this.
        let headers = std::mem::take(response.headers_mut());
        let (cap, overflow) = if status.is_success() {
            (self.limits.cap(exchange.expect), Overflow::Fail)
        } else {
            // An error status needs only its message.
            (ERROR_BODY_LIMIT, Overflow::Truncate)
        };
        let body = body::read(&mut response, cap, overflow)
            .await
            .map_err(|e| match e {
                ReadError::TooLarge => Error::BodyTooLarge {
                    status: status.as_u16(),
                    operation,
                    what: exchange.expect,
                    limit: cap,
                },
                ReadError::Transport(e) => transport_error(e, operation),
            })?;
        Ok(Answer {
            status,
            operation,
            headers,
            body: body.bytes,
            truncated: body.truncated,
            key: self.key.clone(),
        })
    }

    /// Waits before the next attempt, or gives `error` back when the call
    /// may not or need not be made again.
    async fn before_retry(
        &self,
        exchange: &Exchange<'_>,
        attempt: u32,
        error: Error,
    ) -> Result<(), Error> {
        if attempt >= self.retry.attempts() || !error.outcome().is_safe_to_repeat() {
            return Err(error);
        }
        let delay = {
            let mut rng = self.jitter.lock().unwrap_or_else(|e| e.into_inner());
            self.retry.delay(attempt, error.retry_after(), &mut rng)
        };
        // `None`: the server asks for a longer wait than the policy allows.
        let Some(delay) = delay else {
            return Err(error);
        };
        // A paced submission's 429 pauses the pacer: its next turn waits.
        let delay = if exchange.paced && self.pacer.is_some() && error.status() == Some(429) {
            Duration::ZERO
        } else {
            delay
        };
        if let Some(deadline) = exchange.deadline {
            let resume = Instant::now().checked_add(delay);
            if resume.is_none_or(|at| at >= deadline) {
                return Err(error);
            }
        }
        tracing::debug!(
            endpoint = exchange.label,
            attempt,
            delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            error = %error,
            "retrying"
        );
        match &self.pacer {
            // Every wait of a paced client ends when its pacer stops.
            Some(pacer) => pacer.sleep(delay).await.map_err(|_| Error::Interrupted),
            None => {
                tokio::time::sleep(delay).await;
                Ok(())
            }
        }
    }

    /// Downloads a generated image from `url`. The key goes only to the base
    /// URL's origin; a redirect away from it is followed without the key.
    pub async fn download_image(
        &self,
        url: &str,
        mut metadata: ImageMetadata,
    ) -> Result<GeneratedImage, Error> {
        let parsed = Url::parse(url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| Error::Decode {
                status: 200,
                operation: OperationKind::OutputDownload,
                path: None,
                reason: "the output is not an http(s) URL".into(),
                body_prefix: body::prefix(&body::redact(&self.key, url.as_bytes(), false)),
            })?;
        let same_origin = parsed.origin() == self.base.origin();
        let exchange = Exchange {
            label: "output",
            operation: OperationKind::OutputDownload,
            method: Method::GET,
            url: parsed,
            body: None,
            with_key: same_origin,
            expect: BodyKind::Image,
            deadline: None,
            paced: false,
            before_send: None,
        };
        let decode = |answer: Answer| {
            let answer = answer.success()?;
            let (bytes, format) = decode::downloaded_image(&answer)?;
            Ok((bytes, format, answer.content_type().map(str::to_owned)))
        };
        let redirect = |answer: Answer| {
            if answer.status.is_redirection() {
                let target = answer
                    .headers
                    .get(LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .and_then(|l| exchange.url.join(l).ok());
                if let Some(target) = target {
                    return Ok(Err(target));
                }
            }
            decode(answer).map(Ok)
        };
        let (bytes, format, content_type) = match self.execute(&exchange, redirect).await? {
            Ok(image) => image,
            // The API's origin sent us elsewhere: go there without the key.
            Err(target) => {
                let away = Exchange {
                    url: target,
                    with_key: false,
                    ..exchange
                };
                self.execute(&away, decode).await?
            }
        };
        metadata.content_type = content_type;
        Ok(GeneratedImage::new(bytes, format, metadata))
    }
}

/// A failure of the HTTP library in an exchange of `operation`: not sent
/// when no connection was made, maybe sent otherwise.
fn transport_error(error: reqwest::Error, operation: OperationKind) -> Error {
    let error = TransportError::from_reqwest(error).during(operation);
    if error.is_connect() {
        Error::Connect(error)
    } else {
        Error::Transport(error)
    }
}
