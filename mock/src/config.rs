//! How a mock server behaves: the accepted key, job timing, credits and
//! spending, retired models, connection limits, and the faults it injects.
//! Everything random is drawn from one seed, so a test that fails fails
//! the same way again.

use std::fmt;
use std::time::Duration;

use crate::accepted::ACCEPTED_LOG_BYTES;
use crate::answers::Answers;

/// Settings of one mock server. Build with [`MockServer::builder`](crate::MockServer::builder).
///
/// Its `Debug` output never shows the key.
#[derive(Clone)]
pub struct MockConfig {
    /// The only key accepted; `None` accepts any non-empty key.
    pub api_key: Option<String>,
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// How long a queued job stays `QUEUED`.
    pub queued_for: Duration,
    /// How long it then stays `PROCESSING`, at least.
    pub processing_for: Duration,
    /// How much longer it may stay `PROCESSING`: each job draws its time
    /// uniformly from `processing_for ..= processing_for + processing_spread`.
    pub processing_spread: Duration,
    /// How long a finished job's result is kept (Segmind: one hour).
    pub result_ttl: Duration,
    /// Credits the account starts with.
    pub initial_credits: f64,
    /// Price charged for endpoints whose document gives none.
    pub fallback_price_usd: f64,
    /// What every call really costs, whatever the documents say (a price
    /// that changed, or a document that lies); `None`: the documented price.
    pub real_price_usd: Option<f64>,
    /// The team's spend limit in USD: once the account has spent this much,
    /// every submission and sync call is refused with 406.
    pub spend_limit_usd: Option<f64>,
    /// Slugs whose POSTs answer 410 Gone, as a retired model does.
    pub retired: Vec<String>,
    /// How long a client may take to send a complete request head (on a
    /// new connection, or between requests on a kept-alive one) before it
    /// is disconnected; `None` waits for ever.
    pub header_read_timeout: Option<Duration>,
    /// The most bytes the log of accepted requests holds (request bodies
    /// included); the oldest entries go first.
    pub accepted_log_bytes: usize,
    /// Seed of every random choice (ids, injected faults).
    pub seed: u64,
    /// The shapes of the answers: as documented, or as seen in the wild.
    pub answers: Answers,
    /// Whether every answer says this is a mock, and how long its jobs
    /// take ([`MOCK_JOB_TIME_HEADER`](segmind_ideogram::MOCK_JOB_TIME_HEADER)),
    /// so that a client polls on this server's clock. Off, a client cannot
    /// tell it from Segmind.
    pub announce: bool,
    /// Faults to inject.
    pub faults: Faults,
}

impl Default for MockConfig {
    fn default() -> Self {
        Self {
            api_key: None,
            port: 0,
            queued_for: Duration::from_millis(50),
            processing_for: Duration::from_millis(150),
            processing_spread: Duration::ZERO,
            result_ttl: Duration::from_secs(3600),
            initial_credits: 100.0,
            fallback_price_usd: 0.05,
            real_price_usd: None,
            spend_limit_usd: None,
            retired: Vec::new(),
            header_read_timeout: Some(Duration::from_secs(10)),
            accepted_log_bytes: ACCEPTED_LOG_BYTES,
            seed: 0x5E6_u64,
            answers: Answers::default(),
            announce: true,
            faults: Faults::default(),
        }
    }
}

impl MockConfig {
    /// The shortest and the longest time a job takes, from submission to
    /// completion.
    pub(crate) fn job_time(&self) -> (Duration, Duration) {
        let low = self.queued_for.saturating_add(self.processing_for);
        (low, low.saturating_add(self.processing_spread))
    }
}

impl fmt::Debug for MockConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            api_key,
            port,
            queued_for,
            processing_for,
            processing_spread,
            result_ttl,
            initial_credits,
            fallback_price_usd,
            real_price_usd,
            spend_limit_usd,
            retired,
            header_read_timeout,
            accepted_log_bytes,
            seed,
            answers,
            announce,
            faults,
        } = self;
        f.debug_struct("MockConfig")
            .field("api_key", &api_key.as_ref().map(|_| "<redacted>"))
            .field("port", port)
            .field("queued_for", queued_for)
            .field("processing_for", processing_for)
            .field("processing_spread", processing_spread)
            .field("result_ttl", result_ttl)
            .field("initial_credits", initial_credits)
            .field("fallback_price_usd", fallback_price_usd)
            .field("real_price_usd", real_price_usd)
            .field("spend_limit_usd", spend_limit_usd)
            .field("retired", retired)
            .field("header_read_timeout", header_read_timeout)
            .field("accepted_log_bytes", accepted_log_bytes)
            .field("seed", seed)
            .field("answers", answers)
            .field("announce", announce)
            .field("faults", faults)
            .finish()
    }
}

/// How the request history pages its rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum HistoryPaging {
    /// `page` and `per_page` as asked, `total` the rows in all.
    #[default]
    Honest,
    /// `total` is the rows of this page, not of all pages.
    CountPerPage,
    /// `page` is ignored: every answer is the first page.
    IgnoresPage,
    /// The order of the rows changes from one request to the next, so
    /// pages overlap and some rows are never on any page.
    Unstable,
}

/// Faults the server injects, each off by default.
#[derive(Debug, Clone)]
pub struct Faults {
    /// Accepted POSTs per rolling window; more get 429 with
    /// `x-rate-limit-reset-at-utc`.
    pub rate_limit: Option<u32>,
    /// The rate limit's window (Segmind: one minute; shorter in tests).
    pub rate_limit_window: Duration,
    /// Share (0.0–1.0) of API requests answered with 500, 502, 503 or 504.
    pub server_error_rate: f64,
    /// Delay added before every API answer.
    pub added_latency: Duration,
    /// Delay between queueing (and charging) a submitted job and answering
    /// with its id, as a slow gateway does.
    pub accepted_answer_delay: Duration,
    /// Delay before an output image is served (a download that hangs).
    pub output_delay: Duration,
    /// The first this many fetches of each output image answer 404, as a
    /// storage that has not caught up with the job.
    pub output_missing_first: u32,
    /// Delay before the credits are answered (a credit check that hangs).
    pub credits_delay: Duration,
    /// The credits are answered with an object that names none (`{}`), as
    /// an error served with status 200 is.
    pub credits_unstated: bool,
    /// Jobs (and sync calls) whose prompt contains this word fail, as a
    /// content block would (for an endpoint without a prompt: whose
    /// request as JSON contains it).
    pub fail_word: Option<String>,
    /// Share (0.0–1.0) of image answers whose connection is cut mid-body.
    pub drop_rate: f64,
    /// How long after a request its row appears in the request history
    /// (Segmind's records land late).
    pub history_lag: Duration,
    /// The request history answers 503, as an outage would.
    pub history_outage: bool,
    /// The history's clock is this many milliseconds ahead of the true
    /// time (behind when negative): its rows' `created_at` and the `Date`
    /// of its answers follow it.
    pub history_clock_skew_ms: i64,
    /// The history writes `created_at` without a zone, in the local time
    /// of this many minutes east of UTC.
    pub history_zoneless: Option<i32>,
    /// The history's `from_date` and `to_date` are days in the zone this
    /// many minutes east of UTC (Segmind does not say which zone).
    pub history_day_zone: i32,
    /// The history names each model with this prefix
    /// (`segmind/ideogram-txt-2-img`); its `model_name` filter still
    /// matches a part of the name.
    pub history_model_prefix: Option<String>,
    /// Request members the history leaves out of the bodies it records.
    pub history_omits: Vec<String>,
    /// How the history pages its rows.
    pub history_paging: HistoryPaging,
    /// Rows per request in the history: a request with several outputs is
    /// listed once per output, each row with the request's full cost.
    pub history_rows_per_request: u32,
    /// The most rows a history page holds, whatever `per_page` asks.
    pub history_page_cap: Option<u64>,
    /// Share (0.0–1.0) of status and result answers that are an HTML page
    /// with status 200, as a misbehaving gateway serves.
    pub garbage_poll_rate: f64,
    /// A `Retry-After` header to send with every 429, as given (absurd
    /// values included: `999999999`, `1e19`).
    pub retry_after: Option<String>,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            rate_limit: None,
            rate_limit_window: Duration::from_secs(60),
            server_error_rate: 0.0,
            added_latency: Duration::ZERO,
            accepted_answer_delay: Duration::ZERO,
            output_delay: Duration::ZERO,
            output_missing_first: 0,
            credits_delay: Duration::ZERO,
            credits_unstated: false,
            fail_word: None,
            drop_rate: 0.0,
            history_lag: Duration::ZERO,
            history_outage: false,
            history_clock_skew_ms: 0,
            history_zoneless: None,
            history_day_zone: 0,
            history_model_prefix: None,
            history_omits: Vec::new(),
            history_paging: HistoryPaging::Honest,
            history_rows_per_request: 1,
            history_page_cap: None,
            garbage_poll_rate: 0.0,
            retry_after: None,
        }
    }
}
