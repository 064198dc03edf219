//! Everything the server remembers: credits, jobs, the rate-limit window,
//! the random source, and a log of accepted requests for tests to inspect.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use crate::config::MockConfig;
use crate::picture::Pictures;

/// Whether a request was a sync call or a queued job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `POST /v1/{slug}`.
    Sync,
    /// `POST /v2/{slug}`.
    Queued,
}

/// A request the server accepted (valid, authorised, not faulted).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Accepted {
    /// The endpoint.
    pub slug: String,
    /// Sync or queued.
    pub mode: Mode,
    /// The request's id (the job id for queued calls).
    pub request_id: String,
    /// The JSON body as received.
    pub body: Value,
    /// The client's `User-Agent`, if it sent one.
    pub user_agent: Option<String>,
}

/// The most accepted requests remembered; older ones are dropped so a
/// long-running `ideogram mock serve` does not grow without bound (the
/// counters keep counting).
pub(crate) const ACCEPTED_LOG_LIMIT: usize = 100_000;

/// How many job submissions pass between sweeps of expired jobs.
const SWEEP_EVERY: u64 = 1024;

/// A queued job. Its state follows from the clock, so there is no worker.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub submitted: Instant,
    /// How long this job stays `PROCESSING`.
    pub processing: Duration,
    pub picture_key: u64,
    pub width: u32,
    pub height: u32,
    pub cost: f64,
    pub failure: Option<String>,
    /// Status and result requests about this job so far.
    pub polls: u32,
    /// The first request that saw it ended, if any.
    pub noticed: Option<Instant>,
}

/// How a queued job was followed by its client: for measuring polling.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct JobStats {
    /// The job's id.
    pub request_id: String,
    /// Status and result requests the server answered about it.
    pub polls: u32,
    /// How long it took from submission to its end.
    pub took: Duration,
    /// From its end to the first request that saw it ended; `None` while
    /// nobody has noticed.
    pub notice_delay: Option<Duration>,
}

pub(crate) struct State {
    pub config: MockConfig,
    pub base_url: String,
    pub pictures: Pictures,
    inner: Mutex<Inner>,
}

struct Inner {
    credits: f64,
    rng: fastrand::Rng,
    window: VecDeque<Instant>,
    jobs: HashMap<String, Job>,
    accepted: VecDeque<Accepted>,
    sync_calls: u64,
    jobs_submitted: u64,
    requests: u64,
}

impl State {
    pub fn new(config: MockConfig, base_url: String) -> Self {
        let inner = Inner {
            credits: config.initial_credits,
            rng: fastrand::Rng::with_seed(config.seed),
            window: VecDeque::new(),
            jobs: HashMap::new(),
            accepted: VecDeque::new(),
            sync_calls: 0,
            jobs_submitted: 0,
            requests: 0,
        };
        Self {
            config,
            base_url,
            pictures: Pictures::default(),
            inner: Mutex::new(inner),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts a request and draws whether to fail it with a 5xx.
    pub fn injected_server_error(&self) -> Option<u16> {
        let mut inner = self.lock();
        inner.requests += 1;
        let rate = self.config.faults.server_error_rate;
        (rate > 0.0 && inner.rng.f64() < rate).then(|| [500, 502, 503, 504][inner.rng.usize(..4)])
    }

    /// Whether to cut this image answer short.
    pub fn drop_connection(&self) -> bool {
        let rate = self.config.faults.drop_rate;
        rate > 0.0 && self.lock().rng.f64() < rate
    }

    /// Takes a slot in the rolling window, or says when one frees up.
    pub fn take_rate_slot(&self, now: Instant) -> Result<(), Duration> {
        let Some(limit) = self.config.faults.rate_limit else {
            return Ok(());
        };
        let minute = self.config.faults.rate_limit_window;
        let mut inner = self.lock();
        while inner
            .window
            .front()
            .is_some_and(|t| now.duration_since(*t) >= minute)
        {
            inner.window.pop_front();
        }
        if inner.window.len() >= limit as usize {
            let oldest = inner.window.front().copied().unwrap_or(now);
            return Err(minute.saturating_sub(now.duration_since(oldest)));
        }
        inner.window.push_back(now);
        Ok(())
    }

    /// Charges `price`, returning the credits left, or `None` when short.
    pub fn charge(&self, price: f64) -> Option<f64> {
        let mut inner = self.lock();
        if inner.credits + 1e-9 < price {
            return None;
        }
        inner.credits -= price;
        Some(inner.credits.max(0.0))
    }

    /// A fresh id, UUID-shaped, from the seeded source.
    pub fn new_id(&self) -> String {
        let mut inner = self.lock();
        let (a, b, c, d) = (
            inner.rng.u32(..),
            inner.rng.u16(..),
            inner.rng.u16(..),
            inner.rng.u64(..),
        );
        format!(
            "{a:08x}-{b:04x}-4{:03x}-{:04x}-{:012x}",
            c & 0x0fff,
            0x8000 | (d >> 48) as u16 & 0x3fff,
            d & 0xffff_ffff_ffff
        )
    }

    pub fn record(&self, accepted: Accepted) {
        let mut inner = self.lock();
        match accepted.mode {
            Mode::Sync => inner.sync_calls += 1,
            Mode::Queued => inner.jobs_submitted += 1,
        }
        if inner.accepted.len() >= ACCEPTED_LOG_LIMIT {
            inner.accepted.pop_front();
        }
        inner.accepted.push_back(accepted);
    }

    pub fn insert_job(&self, id: String, job: Job, now: Instant) {
        let ttl = self.config.queued_for
            + self.config.processing_for
            + self.config.processing_spread
            + self.config.result_ttl;
        let mut inner = self.lock();
        if inner.jobs_submitted % SWEEP_EVERY == SWEEP_EVERY - 1 {
            inner.jobs.retain(|_, job| now < job.submitted + ttl);
        }
        inner.jobs.insert(id, job);
    }

    /// The job, unless unknown or expired (expired ones are forgotten).
    pub fn job(&self, id: &str, now: Instant) -> Option<Job> {
        let mut inner = self.lock();
        let job = inner.jobs.get(id)?.clone();
        if now >= self.finished_at(&job) + self.config.result_ttl {
            inner.jobs.remove(id);
            return None;
        }
        Some(job)
    }

    /// Counts a status or result request about `id`, noting when one first
    /// sees the job ended.
    pub fn note_poll(&self, id: &str, now: Instant) {
        let ended = |job: &Job| now >= self.finished_at(job);
        let mut inner = self.lock();
        if let Some(job) = inner.jobs.get_mut(id) {
            job.polls = job.polls.saturating_add(1);
            if job.noticed.is_none() && ended(job) {
                job.noticed = Some(now);
            }
        }
    }

    /// How every job still remembered was followed, in no particular order.
    pub fn job_stats(&self) -> Vec<JobStats> {
        let inner = self.lock();
        inner
            .jobs
            .iter()
            .map(|(id, job)| {
                let finished = self.finished_at(job);
                JobStats {
                    request_id: id.clone(),
                    polls: job.polls,
                    took: finished.duration_since(job.submitted),
                    notice_delay: job.noticed.map(|at| at.saturating_duration_since(finished)),
                }
            })
            .collect()
    }

    pub fn finished_at(&self, job: &Job) -> Instant {
        job.submitted + self.config.queued_for + job.processing
    }

    /// A processing time drawn from the configured range.
    pub fn draw_processing(&self) -> Duration {
        let spread = self.config.processing_spread;
        if spread.is_zero() {
            return self.config.processing_for;
        }
        let nanos = u64::try_from(spread.as_nanos()).unwrap_or(u64::MAX);
        let extra = Duration::from_nanos(self.lock().rng.u64(0..=nanos));
        self.config.processing_for.saturating_add(extra)
    }

    pub fn accepted(&self) -> Vec<Accepted> {
        self.lock().accepted.iter().cloned().collect()
    }

    /// (sync calls, jobs submitted) accepted so far.
    pub fn accepted_counts(&self) -> (u64, u64) {
        let inner = self.lock();
        (inner.sync_calls, inner.jobs_submitted)
    }

    pub fn credits(&self) -> f64 {
        self.lock().credits
    }

    pub fn requests(&self) -> u64 {
        self.lock().requests
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepted(mode: Mode, n: usize) -> Accepted {
        Accepted {
            slug: "ideogram-txt-2-img".into(),
            mode,
            request_id: n.to_string(),
            body: Value::Null,
            user_agent: None,
        }
    }

    #[test]
    fn the_accepted_log_is_bounded_but_the_counts_are_not() {
        let state = State::new(MockConfig::default(), "http://127.0.0.1:1".into());
        for n in 0..ACCEPTED_LOG_LIMIT + 5 {
            state.record(accepted(
                if n % 2 == 0 { Mode::Sync } else { Mode::Queued },
                n,
            ));
        }
        let log = state.accepted();
        assert_eq!(log.len(), ACCEPTED_LOG_LIMIT);
        assert_eq!(log[0].request_id, "5", "the oldest entries go first");
        let (sync, queued) = state.accepted_counts();
        assert_eq!(sync + queued, (ACCEPTED_LOG_LIMIT + 5) as u64);
    }

    #[tokio::test(start_paused = true)]
    async fn expired_jobs_are_swept_as_new_ones_arrive() {
        let config = MockConfig {
            result_ttl: Duration::from_secs(10),
            ..MockConfig::default()
        };
        let state = State::new(config, "http://127.0.0.1:1".into());
        let job = |submitted| Job {
            submitted,
            processing: Duration::ZERO,
            picture_key: 0,
            width: 1,
            height: 1,
            cost: 0.0,
            failure: None,
            polls: 0,
            noticed: None,
        };
        let start = Instant::now();
        for n in 0..SWEEP_EVERY {
            state.record(accepted(Mode::Queued, n as usize));
            state.insert_job(format!("old-{n}"), job(start), start);
        }
        tokio::time::advance(Duration::from_secs(60)).await;
        let now = Instant::now();
        for n in 0..SWEEP_EVERY {
            state.record(accepted(Mode::Queued, n as usize));
            state.insert_job(format!("new-{n}"), job(now), now);
        }
        let remaining = state.lock().jobs.len() as u64;
        assert!(remaining <= SWEEP_EVERY + 1, "{remaining} jobs kept");
        assert!(state.job("new-0", now).is_some());
        assert!(state.job("old-0", now).is_none());
    }
}
