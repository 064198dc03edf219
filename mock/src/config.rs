//! How a mock server behaves: the accepted key, job timing, credits, and
//! the faults it injects. Everything random is drawn from one seed, so a
//! test that fails fails the same way again.

use std::time::Duration;

/// Settings of one mock server. Build with [`MockServer::builder`](crate::MockServer::builder).
#[derive(Debug, Clone)]
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
    /// Seed of every random choice (ids, injected faults).
    pub seed: u64,
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
            seed: 0x5E6_u64,
            faults: Faults::default(),
        }
    }
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
    /// Jobs (and sync calls) whose prompt contains this word fail, as a
    /// content block would.
    pub fail_word: Option<String>,
    /// Share (0.0–1.0) of image answers whose connection is cut mid-body.
    pub drop_rate: f64,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            rate_limit: None,
            rate_limit_window: Duration::from_secs(60),
            server_error_rate: 0.0,
            added_latency: Duration::ZERO,
            fail_word: None,
            drop_rate: 0.0,
        }
    }
}
