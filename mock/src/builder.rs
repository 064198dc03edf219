//! [`MockBuilder`]: the settings of a mock server, one chained call each.

use std::io;
use std::time::Duration;

use crate::answers::Answers;
use crate::config::MockConfig;
use crate::server::MockServer;

/// Settings of a [`MockServer`] before it starts.
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct MockBuilder {
    config: MockConfig,
}

impl MockBuilder {
    /// Replaces every setting.
    pub fn config(mut self, config: MockConfig) -> Self {
        self.config = config;
        self
    }

    /// Accept only this key (default: any non-empty key). Either way, a
    /// job is visible only to the key that created it: status, result and
    /// the legacy poll route answer 404 to any other, as for an unknown id.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.config.api_key = Some(key.into());
        self
    }

    /// Listen on this port of 127.0.0.1 (default: a free one).
    pub fn port(mut self, port: u16) -> Self {
        self.config.port = port;
        self
    }

    /// How long jobs stay QUEUED, then PROCESSING.
    pub fn job_latency(mut self, queued: Duration, processing: Duration) -> Self {
        self.config.queued_for = queued;
        self.config.processing_for = processing;
        self.config.processing_spread = Duration::ZERO;
        self
    }

    /// How long jobs stay QUEUED, then PROCESSING for a time drawn
    /// uniformly between `min` and `max` (seeded, like every draw), as real
    /// jobs vary.
    pub fn job_latency_range(mut self, queued: Duration, min: Duration, max: Duration) -> Self {
        self.config.queued_for = queued;
        self.config.processing_for = min.min(max);
        self.config.processing_spread = max.saturating_sub(min);
        self
    }

    /// How long finished results are kept (default one hour).
    pub fn result_ttl(mut self, ttl: Duration) -> Self {
        self.config.result_ttl = ttl;
        self
    }

    /// Credits the account starts with (default 100). Past them, calls get
    /// 406 with a message about credits (a queued submission gets 402 with
    /// [`realistic`](Self::realistic) answers), and nothing is charged.
    pub fn initial_credits(mut self, credits: f64) -> Self {
        self.config.initial_credits = credits;
        self
    }

    /// A team spend limit in USD (default none): once the account has
    /// spent `usd`, every submission and sync call gets 406 with a message
    /// about the spend limit, and nothing more is charged. The call that
    /// crosses the limit still goes through; failed jobs cost nothing.
    pub fn spend_limit(mut self, usd: f64) -> Self {
        self.config.spend_limit_usd = Some(usd);
        self
    }

    /// Retire `slug` (repeatable): its POSTs, sync and queued, get 410 Gone
    /// with `{"error": ...}` and are not charged. The slug stays in the
    /// generated registry, so a client still builds and sends the request;
    /// `segmind-ideogram` reports the answer as
    /// `Error::Api { kind: ApiErrorKind::Gone, .. }`.
    pub fn retired(mut self, slug: impl Into<String>) -> Self {
        self.config.retired.push(slug.into());
        self
    }

    /// Disconnect a client that has not sent a complete request head
    /// within `timeout` of connecting, or of its previous answer on a
    /// kept-alive connection (default 10 s; `None` waits for ever). Keeps
    /// a slowloris from holding connections. The timer runs on tokio's
    /// clock: under a paused clock (`start_paused`) tokio may jump past it
    /// while a request is on its way, so pass `None` there.
    pub fn header_read_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.config.header_read_timeout = timeout.into();
        self
    }

    /// Cap the log of accepted requests ([`MockServer::accepted`]) at about
    /// this many bytes, request bodies included (default 64 MiB), on top of
    /// its 100,000 entries. The oldest entries go first; the newest is
    /// always kept; the counters keep counting.
    pub fn accepted_log_bytes(mut self, bytes: usize) -> Self {
        self.config.accepted_log_bytes = bytes;
        self
    }

    /// Answer in these shapes (default: [`Answers::documented`]).
    pub fn answers(mut self, answers: Answers) -> Self {
        self.config.answers = answers;
        self
    }

    /// Answer as Segmind is seen to in the wild ([`Answers::realistic`]):
    /// hexadecimal ids, images as objects, FAILED answers without
    /// `request_id`, 402 for a queued submission without credits, the
    /// extra metrics and headers.
    pub fn realistic(self) -> Self {
        self.answers(Answers::realistic())
    }

    /// Whether every answer says this is a mock (default: yes): the
    /// [`MOCK_JOB_TIME_HEADER`](segmind_ideogram::MOCK_JOB_TIME_HEADER)
    /// header gives the configured job time, from submission to completion
    /// (`9000-13000`, in milliseconds), and `segmind-ideogram` polls the
    /// jobs it submits here on that clock. Off, nothing tells this server
    /// from Segmind, and the client polls as it would Segmind's jobs: for
    /// measuring that schedule.
    pub fn announce(mut self, announce: bool) -> Self {
        self.config.announce = announce;
        self
    }

    /// Seed for ids and injected faults.
    pub fn seed(mut self, seed: u64) -> Self {
        self.config.seed = seed;
        self
    }

    /// Answer 429 past this many POSTs per rolling minute, as Segmind does.
    pub fn rate_limit_per_minute(self, limit: u32) -> Self {
        self.rate_limit(limit, Duration::from_secs(60))
    }

    /// Answer 429 past `limit` POSTs per rolling `window`, with
    /// `x-rate-limit-reset-at-utc` when the oldest POST in the window
    /// leaves it. Any window works: `Duration::ZERO` never limits (unless
    /// `limit` is 0: every POST is refused), and one too long for the
    /// calendar announces the last HTTP-date, 9999-12-31.
    pub fn rate_limit(mut self, limit: u32, window: Duration) -> Self {
        self.config.faults.rate_limit = Some(limit);
        self.config.faults.rate_limit_window = window;
        self
    }

    /// Answer this share of API requests with 500/502/503/504.
    pub fn server_error_rate(mut self, rate: f64) -> Self {
        self.config.faults.server_error_rate = rate.clamp(0.0, 1.0);
        self
    }

    /// Wait this long before every API answer.
    pub fn added_latency(mut self, latency: Duration) -> Self {
        self.config.faults.added_latency = latency;
        self
    }

    /// Queue (and charge) each submitted job at once, but answer with its
    /// id only `delay` later: a client that gives up meanwhile has a paid
    /// job it never heard of.
    pub fn accepted_answer_delay(mut self, delay: Duration) -> Self {
        self.config.faults.accepted_answer_delay = delay;
        self
    }

    /// Serve output images only `delay` after they are asked for (a
    /// download that hangs).
    pub fn output_delay(mut self, delay: Duration) -> Self {
        self.config.faults.output_delay = delay;
        self
    }

    /// Answer the first `fetches` requests for each output image with 404,
    /// as a storage that has not caught up with the job.
    pub fn output_missing_first(mut self, fetches: u32) -> Self {
        self.config.faults.output_missing_first = fetches;
        self
    }

    /// Answer the credits only `delay` after they are asked for.
    pub fn credits_delay(mut self, delay: Duration) -> Self {
        self.config.faults.credits_delay = delay;
        self
    }

    /// Answer the credits with an object that names none (`{}`), as an
    /// error served with status 200 is: not an empty account.
    pub fn credits_unstated(mut self, unstated: bool) -> Self {
        self.config.faults.credits_unstated = unstated;
        self
    }

    /// Fail jobs and calls whose prompt contains `word` (for an endpoint
    /// without a prompt, whose request as JSON contains it).
    pub fn fail_word(mut self, word: impl Into<String>) -> Self {
        self.config.faults.fail_word = Some(word.into());
        self
    }

    /// Cut this share of image answers mid-body.
    pub fn drop_rate(mut self, rate: f64) -> Self {
        self.config.faults.drop_rate = rate.clamp(0.0, 1.0);
        self
    }

    /// Let each request's row appear in the request history only this long
    /// after the request (default at once), as Segmind's records land late.
    pub fn history_lag(mut self, lag: Duration) -> Self {
        self.config.faults.history_lag = lag;
        self
    }

    /// Answer the request history (and its records) with 503, as an outage
    /// would: a client cannot tell whether a request reached Segmind.
    pub fn history_outage(mut self, outage: bool) -> Self {
        self.config.faults.history_outage = outage;
        self
    }

    /// Run the request history on a clock `skew_ms` milliseconds ahead of
    /// the true time (behind when negative): its rows' `created_at` and the
    /// `Date` header of its answers.
    pub fn history_clock_skew(mut self, skew_ms: i64) -> Self {
        self.config.faults.history_clock_skew_ms = skew_ms;
        self
    }

    /// Write the history's `created_at` without a zone, as local time of
    /// the zone `minutes_east` of UTC (`-480` for UTC−8).
    pub fn history_zoneless(mut self, minutes_east: i32) -> Self {
        self.config.faults.history_zoneless = Some(minutes_east);
        self
    }

    /// Read the history's `from_date` and `to_date` as days of the zone
    /// `minutes_east` of UTC.
    pub fn history_day_zone(mut self, minutes_east: i32) -> Self {
        self.config.faults.history_day_zone = minutes_east;
        self
    }

    /// Name models in the history with this prefix (`segmind/`).
    pub fn history_model_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.config.faults.history_model_prefix = Some(prefix.into());
        self
    }

    /// Leave `member` out of the bodies the history records (repeatable).
    pub fn history_omits(mut self, member: impl Into<String>) -> Self {
        self.config.faults.history_omits.push(member.into());
        self
    }

    /// Page the history this way (default: honestly).
    pub fn history_paging(mut self, paging: crate::HistoryPaging) -> Self {
        self.config.faults.history_paging = paging;
        self
    }

    /// Put at most `rows` rows on a history page, whatever `per_page` asks
    /// (as a server that caps it does).
    pub fn history_page_cap(mut self, rows: u64) -> Self {
        self.config.faults.history_page_cap = Some(rows.max(1));
        self
    }

    /// List each request `rows` times in the history (once per output).
    pub fn history_rows_per_request(mut self, rows: u32) -> Self {
        self.config.faults.history_rows_per_request = rows.max(1);
        self
    }

    /// Charge `usd` for every call, whatever the documents say: what a
    /// client's budget meets when the documented price is wrong. The
    /// result's `metrics.cost`, `x-cost` and the history report it.
    pub fn real_price(mut self, usd: f64) -> Self {
        self.config.real_price_usd = Some(usd).filter(|p| p.is_finite() && *p >= 0.0);
        self
    }

    /// Answer this share of status and result requests with an HTML page
    /// and status 200, where JSON belongs.
    pub fn garbage_poll_rate(mut self, rate: f64) -> Self {
        self.config.faults.garbage_poll_rate = rate.clamp(0.0, 1.0);
        self
    }

    /// Send `Retry-After: value` with every 429, whatever it says.
    pub fn retry_after(mut self, value: impl Into<String>) -> Self {
        self.config.faults.retry_after = Some(value.into());
        self
    }

    /// Binds 127.0.0.1 and starts serving in the background.
    pub async fn start(self) -> io::Result<MockServer> {
        MockServer::spawn(self.config).await
    }

    /// Binds 127.0.0.1 and starts serving on a runtime of the server's own,
    /// for code without one ([`MockServer::start_blocking`]).
    pub fn start_blocking(self) -> io::Result<MockServer> {
        MockServer::spawn_blocking(self.config)
    }
}
