//! When to try a call again, and how long to wait first.
//!
//! Segmind bills every generation and has no idempotency key. So a request
//! is repeated only when its [`Outcome`](crate::Outcome) says it is safe
//! (`is_safe_to_repeat`: it may succeed and was certainly not billed): a
//! connection that failed before the request was written, a 429, a read
//! that failed on the way. A POST answered 5xx may hide a finished, billed
//! generation (a gateway's 504 does), so it goes back to the caller. This
//! module says only how long to wait.

use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, RETRY_AFTER};

use crate::generated::API;

/// The longest wait a server can ask for that is reported as asked; longer
/// asks (`Retry-After: 1e19`) are reported as this, so that no caller's
/// arithmetic on them can overflow.
pub const MAX_REPORTED_SERVER_DELAY: Duration = Duration::from_secs(365 * 24 * 3600);

/// How many times to try a call and how long to wait in between:
/// exponential backoff with full jitter, unless the server names a delay.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
    max_server_delay: Duration,
    seed: Option<u64>,
}

impl Default for RetryPolicy {
    /// 3 attempts, 500 ms base delay, 30 s cap, server delays honoured up to 60 s.
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_server_delay: Duration::from_secs(60),
            seed: None,
        }
    }
}

impl RetryPolicy {
    /// The default policy.
    pub fn new() -> Self {
        Self::default()
    }

    /// Never retry.
    pub fn none() -> Self {
        Self::default().max_attempts(1)
    }

    /// Total attempts, the first included (at least 1).
    #[must_use]
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The backoff before the first retry; it doubles for each retry after.
    #[must_use]
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// The longest backoff, before jitter.
    #[must_use]
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// The longest delay named by the server (`Retry-After`,
    /// `x-rate-limit-reset-at-utc`) that is waited out; a longer one ends
    /// the retries and the error carries it in
    /// [`Error::retry_after`](crate::Error::retry_after).
    #[must_use]
    pub fn max_server_delay(mut self, delay: Duration) -> Self {
        self.max_server_delay = delay;
        self
    }

    /// Seeds the jitter, for reproducible delays in tests.
    #[must_use]
    pub fn jitter_seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Total attempts, the first included.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The longest server-named delay this policy waits out.
    pub fn server_delay_cap(&self) -> Duration {
        self.max_server_delay
    }

    /// The backoff ceiling before retry number `retry` (1 for the first):
    /// `min(max_delay, base_delay * 2^(retry-1))`. The delay waited is
    /// uniform between zero and this ("full jitter").
    pub fn backoff_ceiling(&self, retry: u32) -> Duration {
        let factor = 1u32
            .checked_shl(retry.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }

    pub(crate) fn rng(&self) -> fastrand::Rng {
        match self.seed {
            Some(seed) => fastrand::Rng::with_seed(seed),
            None => fastrand::Rng::new(),
        }
    }

    /// A jittered backoff before retry number `retry`.
    pub(crate) fn backoff(&self, retry: u32, rng: &mut fastrand::Rng) -> Duration {
        let ceiling = self.backoff_ceiling(retry);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(rng.u64(0..=nanos))
    }

    /// The wait before retry number `retry`, given the server's hint: the
    /// hint when there is one, else the jittered backoff; `None` when the
    /// hint is longer than the policy waits out.
    pub(crate) fn delay(
        &self,
        retry: u32,
        server_hint: Option<Duration>,
        rng: &mut fastrand::Rng,
    ) -> Option<Duration> {
        match server_hint {
            Some(hint) if hint > self.max_server_delay => None,
            Some(hint) => Some(hint),
            None => Some(self.backoff(retry, rng)),
        }
    }
}

/// How long the server asked to wait: `Retry-After` (seconds or HTTP-date),
/// else `x-rate-limit-reset-at-utc` (RFC 3339, HTTP-date or Unix seconds).
/// At most [`MAX_REPORTED_SERVER_DELAY`].
pub(crate) fn server_delay(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let until = |at: SystemTime| at.duration_since(now).unwrap_or(Duration::ZERO);
    let delay = header_str(headers, RETRY_AFTER.as_str())
        .and_then(|value| {
            parse_seconds(value).or_else(|| httpdate::parse_http_date(value).ok().map(until))
        })
        .or_else(|| reset_at(headers).map(until))?;
    Some(delay.min(MAX_REPORTED_SERVER_DELAY))
}

/// When a rate limit resets, from `x-rate-limit-reset-at-utc`.
pub(crate) fn reset_at(headers: &HeaderMap) -> Option<SystemTime> {
    parse_instant(header_str(headers, API.headers.rate_limit_reset)?)
}

fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name)?.to_str().ok().map(str::trim)
}

/// A delay in seconds; fractions are tolerated, negatives and NaN are not,
/// and anything past [`MAX_REPORTED_SERVER_DELAY`] is that.
fn parse_seconds(value: &str) -> Option<Duration> {
    let seconds: f64 = value.parse().ok()?;
    if seconds.is_nan() || seconds < 0.0 {
        return None;
    }
    Some(
        Duration::try_from_secs_f64(seconds)
            .unwrap_or(MAX_REPORTED_SERVER_DELAY)
            .min(MAX_REPORTED_SERVER_DELAY),
    )
}

/// A point in time as RFC 3339 (`2025-01-02T03:04:05Z`, with or without a
/// fraction or a zero offset), HTTP-date, or Unix seconds (milliseconds when
/// the number is too large to be seconds).
pub(crate) fn parse_instant(value: &str) -> Option<SystemTime> {
    parse_any_instant(value).filter(|at| *at <= latest_instant())
}

/// The last second of the year 9999: later instants are not dates a server
/// means, and adding to them, or formatting them, may overflow.
pub(crate) fn latest_instant() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(253_402_300_799)
}

fn parse_any_instant(value: &str) -> Option<SystemTime> {
    if let Ok(number) = value.parse::<f64>() {
        if !number.is_finite() || number < 0.0 {
            return None;
        }
        let seconds = if number > 1e11 {
            number / 1000.0
        } else {
            number
        };
        return SystemTime::UNIX_EPOCH.checked_add(Duration::try_from_secs_f64(seconds).ok()?);
    }
    let rfc3339 = value
        .strip_suffix("+00:00")
        .map_or_else(|| value.to_owned(), |rest| format!("{rest}Z"));
    if let Ok(at) = humantime::parse_rfc3339_weak(&rfc3339) {
        return Some(at);
    }
    httpdate::parse_http_date(value).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_and_stays_in_bounds() {
        let policy = RetryPolicy::new()
            .base_delay(Duration::from_millis(100))
            .max_delay(Duration::from_millis(1000))
            .jitter_seed(7);
        assert_eq!(policy.backoff_ceiling(1), Duration::from_millis(100));
        assert_eq!(policy.backoff_ceiling(3), Duration::from_millis(400));
        assert_eq!(policy.backoff_ceiling(10), Duration::from_millis(1000));
        assert_eq!(
            policy.backoff_ceiling(u32::MAX),
            Duration::from_millis(1000)
        );
        let mut rng = policy.rng();
        for retry in 1..20 {
            assert!(policy.backoff(retry, &mut rng) <= policy.backoff_ceiling(retry));
        }
        // The same seed gives the same delays.
        let (mut a, mut b) = (policy.rng(), policy.rng());
        assert_eq!(policy.backoff(2, &mut a), policy.backoff(2, &mut b));
        // Extreme settings saturate instead of overflowing.
        let huge = RetryPolicy::new()
            .base_delay(Duration::MAX)
            .max_delay(Duration::MAX);
        assert_eq!(huge.backoff_ceiling(40), Duration::MAX);
        assert!(huge.backoff(40, &mut rng) <= Duration::MAX);
    }

    #[test]
    fn server_hints_win_unless_too_long() {
        let policy = RetryPolicy::new().max_server_delay(Duration::from_secs(10));
        let mut rng = policy.rng();
        let hint = Some(Duration::from_secs(3));
        assert_eq!(policy.delay(1, hint, &mut rng), hint);
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(11)), &mut rng),
            None
        );
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(
            server_delay(&headers(&[("retry-after", "7")]), now),
            Some(Duration::from_secs(7))
        );
        let date = httpdate::fmt_http_date(now + Duration::from_secs(5));
        assert_eq!(
            server_delay(&headers(&[("retry-after", &date)]), now),
            Some(Duration::from_secs(5))
        );
        let past = httpdate::fmt_http_date(now - Duration::from_secs(5));
        assert_eq!(
            server_delay(&headers(&[("retry-after", &past)]), now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            server_delay(&headers(&[("retry-after", "soon")]), now),
            None
        );
        assert_eq!(server_delay(&headers(&[("retry-after", "-1")]), now), None);
        assert_eq!(server_delay(&headers(&[("retry-after", "NaN")]), now), None);
    }

    #[test]
    fn absurd_waits_are_reported_capped() {
        let now = SystemTime::now();
        for value in ["999999999", "1e19", "1e300", "inf"] {
            assert_eq!(
                server_delay(&headers(&[("retry-after", value)]), now),
                Some(MAX_REPORTED_SERVER_DELAY),
                "{value}"
            );
        }
        let far = headers(&[("x-rate-limit-reset-at-utc", "99999999999")]);
        assert_eq!(server_delay(&far, now), Some(MAX_REPORTED_SERVER_DELAY));
    }

    #[test]
    fn reset_at_in_every_format() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_010);
        let now = at - Duration::from_secs(10);
        for value in [
            "2023-11-14T22:13:30Z",
            "2023-11-14T22:13:30.000Z",
            "2023-11-14T22:13:30+00:00",
            "Tue, 14 Nov 2023 22:13:30 GMT",
            "1700000010",
            "1700000010000",
        ] {
            let map = headers(&[("x-rate-limit-reset-at-utc", value)]);
            assert_eq!(reset_at(&map), Some(at), "{value}");
            assert_eq!(
                server_delay(&map, now),
                Some(Duration::from_secs(10)),
                "{value}"
            );
        }
        assert_eq!(parse_instant("yesterday"), None);
        assert_eq!(parse_instant("NaN"), None);
    }

    #[test]
    fn instants_past_the_year_9999_are_refused() {
        assert!(parse_instant("253402300799").is_some());
        assert_eq!(parse_instant("253402300800000"), None, "milliseconds");
        assert_eq!(parse_instant("9e21"), None);
        assert_eq!(parse_instant("1.7e308"), None);
    }
}
