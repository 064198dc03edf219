//! The one error type of the client. What each error means for money and
//! for retrying is decided in one place, `classify.rs`
//! ([`Error::outcome`]), from the spec's classes of answers.

use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use crate::generated::{JobMetrics, JobStatus, OperationKind};
use crate::validation::{InvalidValue, ParseEnumError, SizeError, ValidationErrors};

/// Everything that can go wrong. The API key never appears in any variant:
/// it travels in a header (never in a URL), and server text is redacted
/// before it is kept.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request breaks the spec's rules; nothing was sent.
    #[error("{0}")]
    InvalidRequest(#[from] ValidationErrors),

    /// A value refused by a constrained type (`Seed::new(5)`); nothing was sent.
    #[error("{0}")]
    InvalidValue(#[from] InvalidValue),

    /// Segmind answered with an error status.
    #[error("{kind} (HTTP {status}): {message}")]
    Api {
        /// What the status means.
        kind: ApiErrorKind,
        /// The HTTP status code.
        status: u16,
        /// The operation that was answered, which (with the status)
        /// decides what the answer means: [`Error::outcome`].
        operation: OperationKind,
        /// The server's message: the `error` member of a JSON body, or the
        /// start of the raw text.
        message: String,
        /// The start of the raw body (at most 512 bytes).
        body: String,
        /// How long the server asked to wait (`Retry-After`,
        /// `x-rate-limit-reset-at-utc`), as it said it.
        retry_after: Option<Duration>,
    },

    /// A queued job ended in `FAILED` (content blocks surface this way too).
    /// Segmind does not bill failed jobs.
    #[error("job {request_id} failed: {message}")]
    JobFailed {
        /// The job's id.
        request_id: String,
        /// The server's reason.
        message: String,
        /// Timings and cost the server reported, if any.
        metrics: Option<Box<JobMetrics>>,
    },

    /// The job id is unknown to Segmind, or its result was dropped.
    #[error("job {request_id} is unknown or expired (results are kept one hour)")]
    JobExpired {
        /// The job's id.
        request_id: String,
    },

    /// The job did not finish before the wait's deadline. It may still
    /// finish: waiting on the same job again is fine.
    #[error("job {request_id} did not finish before the deadline (last status: {})", DisplayStatus(last_status.as_ref()))]
    PollTimeout {
        /// The job's id.
        request_id: String,
        /// The last status seen, if any poll succeeded.
        last_status: Option<JobStatus>,
    },

    /// No connection could be made (refused, DNS, TLS, connect timeout):
    /// the request was not sent.
    #[error("could not connect: {0}")]
    Connect(TransportError),

    /// The exchange failed after the request may have been written: it
    /// timed out, or the connection dropped. A POST may have been billed.
    #[error("HTTP exchange failed: {0}")]
    Transport(TransportError),

    /// The answer's body was larger than the client accepts; reading
    /// stopped at the cap.
    #[error("the {what} from the server is larger than the {limit}-byte cap (HTTP {status})")]
    BodyTooLarge {
        /// The HTTP status of the answer.
        status: u16,
        /// The operation that was answered.
        operation: OperationKind,
        /// What was being read.
        what: BodyKind,
        /// The cap, in bytes.
        limit: u64,
    },

    /// A success answer whose body is neither an image nor the documented JSON.
    #[error("could not decode the answer (HTTP {status}){}: {reason}; body starts with {body_prefix:?}", at_path(path.as_deref()))]
    Decode {
        /// The HTTP status code of the answer.
        status: u16,
        /// The operation that was answered.
        operation: OperationKind,
        /// The JSON path of the member that failed, when there is one.
        path: Option<String>,
        /// What was wrong.
        reason: String,
        /// The start of the body (at most 512 bytes, lossy UTF-8).
        body_prefix: String,
    },

    /// A job id (from the server, or given to [`Client::job`](crate::Client::job))
    /// that cannot be put in a URL.
    #[error("invalid job id {id:?}: {reason}")]
    InvalidJobId {
        /// The id, as given.
        id: String,
        /// Why it was refused.
        reason: &'static str,
    },

    /// Reading an input image or writing an output failed.
    #[error("I/O error{}: {source}", on_path(path.as_ref()))]
    Io {
        /// The file involved, when there is one.
        path: Option<PathBuf>,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// An input image that Segmind would not take (format or size).
    #[error("invalid image input: {0}")]
    ImageInput(String),

    /// Storing an input image in Segmind's storage failed, while the client
    /// resolved a request's images: the generation itself was not sent.
    /// The upload's own error is inside; [`status`](Self::status),
    /// [`is_retryable`](Self::is_retryable) and
    /// [`retry_after`](Self::retry_after) answer for it.
    #[error("uploading an input image to Segmind's storage failed: {0}")]
    Upload(#[source] Box<Error>),

    /// The base URL is plain `http://` to a host that is not loopback, which
    /// would send the API key in clear text.
    #[error(
        "refusing to send the API key in clear text to {url}; use https, or opt in with allow_insecure_http(true)"
    )]
    InsecureBaseUrl {
        /// The base URL that was refused.
        url: String,
    },

    /// The operation does not exist for this endpoint (a queued call to an
    /// endpoint without a v2 API); nothing was sent.
    #[error("unsupported: {0}")]
    Unsupported(String),

    /// The client's [`Pacer`](crate::Pacer) was stopped while the call
    /// waited: nothing more was sent.
    #[error("interrupted: the client was stopped before the request was sent")]
    Interrupted,

    /// The caller's before-send hook (see
    /// [`Client::submit_any_with_hook`](crate::Client::submit_any_with_hook))
    /// failed, so the attempt it came before was not made: nothing was
    /// sent that Segmind could have acted on.
    #[error("not sent: the before-send hook failed: {0}")]
    BeforeSend(#[source] std::io::Error),

    /// The client is misconfigured (missing key, bad URL, unusable setting).
    #[error("configuration error: {0}")]
    Config(String),

    /// Segmind accepted the generation (it may be billed), then a later step
    /// of the same call failed: a status poll or the output's download.
    /// Submitting again would pay again; the job id or the output's URL
    /// fetch the image instead.
    #[error("{}", after_payment_text(.request_id.as_deref(), .output_url.as_deref(), source))]
    AfterPayment {
        /// The job, for a queued generation ([`Client::job`](crate::Client::job)).
        request_id: Option<String>,
        /// Where the output is, when Segmind answered with a URL.
        output_url: Option<String>,
        /// What failed.
        #[source]
        source: Box<Error>,
    },
}

fn after_payment_text(
    request_id: Option<&str>,
    output_url: Option<&str>,
    source: &Error,
) -> String {
    let what = match (request_id, output_url) {
        (Some(id), _) => format!("job {id} was accepted"),
        (None, Some(url)) => format!("the generation was paid for (its output is at {url})"),
        (None, None) => "the generation was accepted".to_owned(),
    };
    format!("{what}, then: {source}")
}

/// What kind of body an [`Error::BodyTooLarge`] was reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BodyKind {
    /// An image (a v1 answer or an output download).
    Image,
    /// A JSON document.
    Json,
}

impl fmt::Display for BodyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Image => "image",
            Self::Json => "JSON answer",
        })
    }
}

/// Why an HTTP exchange failed below the HTTP level. Opaque: the HTTP
/// library's own error is reachable only as a [`source`](std::error::Error::source).
pub struct TransportError {
    kind: TransportKind,
    message: String,
    /// The operation whose exchange failed, once the transport says.
    operation: Option<OperationKind>,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TransportKind {
    Connect,
    Timeout,
    Other,
}

impl TransportError {
    /// From the HTTP library's error, with its whole cause chain in the
    /// message (its own `Display` leaves out `connection refused`).
    pub(crate) fn from_reqwest(error: reqwest::Error) -> Self {
        let kind = if error.is_connect() {
            TransportKind::Connect
        } else if error.is_timeout() {
            TransportKind::Timeout
        } else {
            TransportKind::Other
        };
        Self {
            kind,
            message: chain(&error),
            operation: None,
            source: Some(Box::new(error)),
        }
    }

    /// No answer before the attempt's time ran out.
    pub(crate) fn timed_out(after: Duration) -> Self {
        Self {
            kind: TransportKind::Timeout,
            message: format!("no answer within {:.1} s", after.as_secs_f64()),
            operation: None,
            source: None,
        }
    }

    /// The same failure, of an exchange of `operation`.
    pub(crate) fn during(mut self, operation: OperationKind) -> Self {
        self.operation = Some(operation);
        self
    }

    /// The operation whose exchange failed.
    pub fn operation(&self) -> Option<OperationKind> {
        self.operation
    }

    /// Whether no connection could be made.
    pub fn is_connect(&self) -> bool {
        self.kind == TransportKind::Connect
    }

    /// Whether time ran out.
    pub fn is_timeout(&self) -> bool {
        self.kind == TransportKind::Timeout
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportError")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .field("operation", &self.operation)
            .finish()
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl Error {
    /// The HTTP status of the answer this error comes from, if any.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. }
            | Error::Decode { status, .. }
            | Error::BodyTooLarge { status, .. } => Some(*status),
            Error::JobExpired { .. } => Some(404),
            Error::Upload(upload) => upload.status(),
            Error::AfterPayment { source, .. } => source.status(),
            _ => None,
        }
    }

    /// Whether time ran out: an HTTP exchange that got no answer in time, or
    /// a job that did not finish before the wait's deadline.
    pub fn is_timeout(&self) -> bool {
        match self {
            Error::Transport(e) | Error::Connect(e) => e.is_timeout(),
            Error::PollTimeout { .. } => true,
            Error::Upload(upload) => upload.is_timeout(),
            Error::AfterPayment { source, .. } => source.is_timeout(),
            _ => false,
        }
    }

    /// The kind of API error, for an [`Error::Api`] (also one that came
    /// after payment).
    pub fn api_kind(&self) -> Option<ApiErrorKind> {
        match self {
            Error::Api { kind, .. } => Some(*kind),
            Error::AfterPayment { source, .. } => source.api_kind(),
            _ => None,
        }
    }

    pub(crate) fn io(path: impl Into<Option<PathBuf>>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

impl From<ParseEnumError> for Error {
    fn from(error: ParseEnumError) -> Self {
        Error::InvalidValue(error.into())
    }
}

impl From<SizeError> for Error {
    fn from(error: SizeError) -> Self {
        Error::InvalidValue(error.into())
    }
}

/// What an error status means, one variant per status Segmind documents
/// or is seen to answer. What it means for money and retrying depends on
/// the operation too: see [`Error::outcome`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApiErrorKind {
    /// 400: the request is malformed.
    BadRequest,
    /// 401: the API key is missing or wrong.
    Unauthorized,
    /// 402: not enough credits, as Segmind is seen to answer a queued
    /// submission (its docs say 406).
    PaymentRequired,
    /// 403: the key may not use this model.
    Forbidden,
    /// 404: no such endpoint (or job).
    NotFound,
    /// 405: wrong HTTP method.
    MethodNotAllowed,
    /// 406: not enough credits, a team spend limit reached, or a wrong
    /// Content-Type; only the message tells them apart.
    InsufficientCredits,
    /// 410: the model is retired.
    Gone,
    /// 422: invalid or missing parameters.
    Unprocessable,
    /// 429: too many requests.
    RateLimited {
        /// When the limit resets, if the server said.
        reset_at: Option<SystemTime>,
    },
    /// 500: the server failed.
    Internal,
    /// 502: a gateway got a bad answer upstream.
    BadGateway,
    /// 503: the service is unavailable.
    Unavailable,
    /// 504: a gateway timed out upstream.
    GatewayTimeout,
    /// Any other status.
    Other(u16),
}

impl ApiErrorKind {
    /// The kind for `status` (a 429 without its reset time).
    pub fn from_status(status: u16) -> Self {
        match status {
            400 => Self::BadRequest,
            401 => Self::Unauthorized,
            402 => Self::PaymentRequired,
            403 => Self::Forbidden,
            404 => Self::NotFound,
            405 => Self::MethodNotAllowed,
            406 => Self::InsufficientCredits,
            410 => Self::Gone,
            422 => Self::Unprocessable,
            429 => Self::RateLimited { reset_at: None },
            500 => Self::Internal,
            502 => Self::BadGateway,
            503 => Self::Unavailable,
            504 => Self::GatewayTimeout,
            other => Self::Other(other),
        }
    }
}

impl fmt::Display for ApiErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::BadRequest => "bad request",
            Self::Unauthorized => "unauthorized",
            Self::PaymentRequired => "payment required (insufficient credits)",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not found",
            Self::MethodNotAllowed => "method not allowed",
            Self::InsufficientCredits => "not acceptable (credits, spend limit or content type)",
            Self::Gone => "model retired",
            Self::Unprocessable => "unprocessable request",
            Self::RateLimited { .. } => "rate limited",
            Self::Internal => "internal server error",
            Self::BadGateway => "bad gateway",
            Self::Unavailable => "service unavailable",
            Self::GatewayTimeout => "gateway timeout",
            Self::Other(_) => "unexpected status",
        })
    }
}

struct DisplayStatus<'a>(Option<&'a JobStatus>);

impl fmt::Display for DisplayStatus<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(status) => write!(f, "{status}"),
            None => f.write_str("none received"),
        }
    }
}

fn at_path(path: Option<&str>) -> String {
    path.map(|p| format!(" at `{p}`")).unwrap_or_default()
}

fn on_path(path: Option<&PathBuf>) -> String {
    path.map(|p| format!(" on {}", p.display()))
        .unwrap_or_default()
}

/// An error's message and its causes, each once.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        let part = inner.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        cause = inner.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_the_spec_documents_has_its_own_kind() {
        // The HTTP-level mapping is tested in tests/errors.rs; this ties the
        // kinds to the spec, so a status Segmind starts documenting is noticed.
        for info in crate::ENDPOINTS {
            for status in info.error_statuses {
                assert!(
                    !matches!(ApiErrorKind::from_status(*status), ApiErrorKind::Other(_)),
                    "{} documents {status}, which has no ApiErrorKind",
                    info.slug
                );
            }
        }
        for kind in crate::OperationKind::ALL {
            for status in kind.documented().iter().filter(|s| **s >= 400) {
                assert!(
                    !matches!(ApiErrorKind::from_status(*status), ApiErrorKind::Other(_)),
                    "{kind:?} documents {status}, which has no ApiErrorKind"
                );
            }
        }
        assert_eq!(ApiErrorKind::from_status(418), ApiErrorKind::Other(418));
    }

    #[test]
    fn error_stays_small() {
        assert!(
            std::mem::size_of::<Error>() <= 128,
            "{}",
            std::mem::size_of::<Error>()
        );
    }

    #[test]
    fn invalid_values_convert_with_question_mark() {
        fn seed() -> crate::Result<crate::Seed> {
            Ok(crate::Seed::new(5)?)
        }
        fn style() -> crate::Result<crate::StyleType> {
            Ok("FANCY".parse::<crate::StyleType>()?)
        }
        let err = seed().unwrap_err();
        assert!(matches!(err, Error::InvalidValue(_)), "{err:?}");
        assert_eq!(err.delivery(), crate::Delivery::NotSent);
        assert!(matches!(style().unwrap_err(), Error::InvalidValue(_)));
    }
}
