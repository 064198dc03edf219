//! The one error type of the client, and how HTTP answers map onto it.

use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use crate::api_key::ApiKey;
use crate::generated::{JobMetrics, JobStatus};
use crate::validation::ValidationErrors;

/// How many bytes of an unexpected body an error keeps.
pub(crate) const BODY_PREFIX_LIMIT: usize = 512;

/// Everything that can go wrong. The API key never appears in any variant:
/// it travels in a header (never in a URL), and server messages that echo it
/// are redacted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request breaks the spec's rules; nothing was sent.
    #[error("{0}")]
    InvalidRequest(#[from] ValidationErrors),

    /// Segmind answered with an error status.
    #[error("{kind} (HTTP {status}): {message}")]
    Api {
        /// What the status means.
        kind: ApiErrorKind,
        /// The HTTP status code.
        status: u16,
        /// The server's message: the `error` member of a JSON body, or the
        /// start of the raw text.
        message: String,
        /// The raw body, cut to 512 bytes.
        body: String,
        /// How long the server asked to wait (`Retry-After`,
        /// `x-rate-limit-reset-at-utc`).
        retry_after: Option<Duration>,
    },

    /// A queued job ended in `FAILED` (content blocks surface this way too).
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

    /// The HTTP exchange itself failed (connection, TLS, timeout, body).
    #[error("HTTP transport failed: {}", chain(source))]
    Transport {
        /// The underlying error; its URL never holds the key.
        #[source]
        source: reqwest::Error,
    },

    /// A success answer whose body is neither an image nor the documented JSON.
    #[error("could not decode the answer (HTTP {status}){}: {reason}; body starts with {body_prefix:?}", at_path(path.as_deref()))]
    Decode {
        /// The HTTP status code of the answer.
        status: u16,
        /// The JSON path of the member that failed, when there is one.
        path: Option<String>,
        /// What was wrong.
        reason: String,
        /// The start of the body (at most 512 bytes, lossy UTF-8).
        body_prefix: String,
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

    /// The base URL is plain `http://` to a host that is not loopback, which
    /// would send the API key in clear text.
    #[error(
        "refusing to send the API key in clear text to {url}; use https, or opt in with allow_insecure_http(true)"
    )]
    InsecureBaseUrl {
        /// The base URL that was refused.
        url: String,
    },

    /// The client is misconfigured (missing key, bad URL, …).
    #[error("configuration error: {0}")]
    Config(String),
}

impl Error {
    /// The HTTP status of the answer this error comes from, if any.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } | Error::Decode { status, .. } => Some(*status),
            Error::JobExpired { .. } => Some(404),
            Error::Transport { source } => source.status().map(|s| s.as_u16()),
            _ => None,
        }
    }

    /// Whether the same call may succeed later: rate limits, server errors,
    /// connection failures and timeouts, and a missed wait deadline. A
    /// timed-out *submission* may have reached Segmind and been billed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api { kind, .. } => kind.is_retryable(),
            Error::Transport { source } => source.is_connect() || source.is_timeout(),
            Error::PollTimeout { .. } => true,
            _ => false,
        }
    }

    /// How long the server asked to wait before trying again.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Api { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The kind of API error, for an [`Error::Api`].
    pub fn api_kind(&self) -> Option<ApiErrorKind> {
        match self {
            Error::Api { kind, .. } => Some(*kind),
            _ => None,
        }
    }

    /// The same error with every occurrence of the key in server-sent text
    /// replaced by `***`, for servers that echo what they were sent.
    pub(crate) fn redact(self, key: &ApiKey) -> Self {
        match self {
            Error::Api {
                kind,
                status,
                message,
                body,
                retry_after,
            } => Error::Api {
                kind,
                status,
                message: key.redact(&message),
                body: key.redact(&body),
                retry_after,
            },
            Error::Decode {
                status,
                path,
                reason,
                body_prefix,
            } => Error::Decode {
                status,
                path: path.map(|p| key.redact(&p)),
                reason: key.redact(&reason),
                body_prefix: key.redact(&body_prefix),
            },
            Error::JobFailed {
                request_id,
                message,
                metrics,
            } => Error::JobFailed {
                request_id: key.redact(&request_id),
                message: key.redact(&message),
                metrics,
            },
            other => other,
        }
    }

    pub(crate) fn io(path: impl Into<Option<PathBuf>>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

impl From<reqwest::Error> for Error {
    fn from(source: reqwest::Error) -> Self {
        Error::Transport { source }
    }
}

/// What an error status means, one variant per status Segmind documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApiErrorKind {
    /// 400: the request is malformed.
    BadRequest,
    /// 401: the API key is missing or wrong.
    Unauthorized,
    /// 403: the key may not use this model.
    Forbidden,
    /// 404: no such endpoint (or job).
    NotFound,
    /// 405: wrong HTTP method.
    MethodNotAllowed,
    /// 406: not enough credits (Segmind also uses it for a wrong Content-Type).
    InsufficientCredits,
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
            403 => Self::Forbidden,
            404 => Self::NotFound,
            405 => Self::MethodNotAllowed,
            406 => Self::InsufficientCredits,
            422 => Self::Unprocessable,
            429 => Self::RateLimited { reset_at: None },
            500 => Self::Internal,
            502 => Self::BadGateway,
            503 => Self::Unavailable,
            504 => Self::GatewayTimeout,
            other => Self::Other(other),
        }
    }

    /// Whether the status is worth retrying (429, 500, 502, 503, 504).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::RateLimited { .. }
                | Self::Internal
                | Self::BadGateway
                | Self::Unavailable
                | Self::GatewayTimeout
        )
    }
}

impl fmt::Display for ApiErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::BadRequest => "bad request",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not found",
            Self::MethodNotAllowed => "method not allowed",
            Self::InsufficientCredits => "insufficient credits",
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

/// The first `BODY_PREFIX_LIMIT` bytes of `body` as text, cut on a character
/// boundary.
pub(crate) fn body_prefix(body: &[u8]) -> String {
    let cut = &body[..body.len().min(BODY_PREFIX_LIMIT)];
    let mut text = String::from_utf8_lossy(cut).into_owned();
    // A multi-byte character split by the cut decodes as U+FFFD; drop it.
    if body.len() > BODY_PREFIX_LIMIT && text.ends_with('\u{FFFD}') {
        text.pop();
    }
    text
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

/// reqwest's message and its causes, which its own `Display` leaves out
/// (`connection refused` lives two sources down).
fn chain(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut cause = std::error::Error::source(error);
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
        assert_eq!(ApiErrorKind::from_status(418), ApiErrorKind::Other(418));
    }

    #[test]
    fn prefix_is_bounded_and_valid_utf8() {
        let body = "é".repeat(600);
        let prefix = body_prefix(body.as_bytes());
        assert!(prefix.len() <= BODY_PREFIX_LIMIT);
        assert!(prefix.chars().all(|c| c == 'é'));
    }

    #[test]
    fn error_stays_small() {
        assert!(
            std::mem::size_of::<Error>() <= 128,
            "{}",
            std::mem::size_of::<Error>()
        );
    }
}
