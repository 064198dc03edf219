//! Time arithmetic that cannot overflow. Every span the mock adds to a clock
//! comes from its settings, and a test may set any of them to
//! `Duration::MAX`: a sum that leaves the clock's range means "never".

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

/// The longest timeout handed to code that adds it to a clock unchecked
/// (hyper's header timer): ten years is for ever for a mock server.
pub(crate) const LONGEST_TIMEOUT: Duration = Duration::from_secs(10 * 365 * 24 * 60 * 60);

/// Seconds from the epoch to 9999-12-31T23:59:59Z, the last instant an
/// HTTP-date can name.
const LAST_HTTP_DATE_SECS: u64 = 253_402_300_799;

/// `at + span`, or `None` when that is past the clock's range (never).
pub(crate) fn after(at: Instant, span: Duration) -> Option<Instant> {
    at.checked_add(span)
}

/// Whether `now` has reached `at + span`; never, when that overflows.
pub(crate) fn reached(now: Instant, at: Instant, span: Duration) -> bool {
    after(at, span).is_some_and(|end| now >= end)
}

/// The HTTP-date `wait` from now, rounded up to the next whole second (so
/// that whatever it announces has happened by then), and no later than the
/// last date HTTP can write.
pub(crate) fn http_date_in(wait: Duration) -> String {
    // A constant sum, within `SystemTime`'s range on every platform.
    let last = UNIX_EPOCH + Duration::from_secs(LAST_HTTP_DATE_SECS);
    let at = SystemTime::now()
        .checked_add(wait.saturating_add(Duration::from_millis(999)))
        .map_or(last, |at| at.min(last));
    httpdate::fmt_http_date(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absurd_spans_mean_never_instead_of_a_panic() {
        let now = Instant::now();
        assert_eq!(after(now, Duration::MAX), None);
        assert!(!reached(now, now, Duration::MAX));
        assert!(reached(now, now, Duration::ZERO));
        assert_eq!(http_date_in(Duration::MAX), "Fri, 31 Dec 9999 23:59:59 GMT");
        assert!(now.checked_add(LONGEST_TIMEOUT).is_some());
    }

    #[test]
    fn http_dates_round_up_to_a_whole_second() {
        let date = httpdate::parse_http_date(&http_date_in(Duration::from_millis(1))).unwrap();
        assert!(date > SystemTime::now());
        assert!(date <= SystemTime::now() + Duration::from_secs(2));
    }
}
