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
pub struct Accepted {
    /// The endpoint.
    pub slug: String,
    /// Sync or queued.
    pub mode: Mode,
    /// The request's id (the job id for queued calls).
    pub request_id: String,
    /// The JSON body as received.
    pub body: Value,
}

/// A queued job. Its state follows from the clock, so there is no worker.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub submitted: Instant,
    pub picture_key: u64,
    pub width: u32,
    pub height: u32,
    pub cost: f64,
    pub failure: Option<String>,
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
    accepted: Vec<Accepted>,
    requests: u64,
}

impl State {
    pub fn new(config: MockConfig, base_url: String) -> Self {
        let inner = Inner {
            credits: config.initial_credits,
            rng: fastrand::Rng::with_seed(config.seed),
            window: VecDeque::new(),
            jobs: HashMap::new(),
            accepted: Vec::new(),
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
        self.lock().accepted.push(accepted);
    }

    pub fn insert_job(&self, id: String, job: Job) {
        self.lock().jobs.insert(id, job);
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

    pub fn finished_at(&self, job: &Job) -> Instant {
        job.submitted + self.config.queued_for + self.config.processing_for
    }

    pub fn accepted(&self) -> Vec<Accepted> {
        self.lock().accepted.clone()
    }

    pub fn credits(&self) -> f64 {
        self.lock().credits
    }

    pub fn requests(&self) -> u64 {
        self.lock().requests
    }
}
