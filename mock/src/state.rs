//! Everything the server remembers: credits and spending, jobs, the
//! rate-limit window, the random source, and a log of accepted requests
//! for tests to inspect.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

use crate::accepted::{Accepted, AcceptedLog};
use crate::answers::IdStyle;
use crate::clock;
use crate::config::MockConfig;
use crate::history::{History, Query, Row};
use crate::key::KeyFingerprint;
use crate::picture::Pictures;
use crate::storage::Storage;
use bytes::Bytes;
use segmind_ideogram::RequestRecord;

/// How many job submissions pass between sweeps of expired jobs.
const SWEEP_EVERY: u64 = 1024;

/// A queued job. Its state follows from the clock, so there is no worker.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    /// Who created it: only requests with the same key see it.
    pub owner: KeyFingerprint,
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
    /// Of them, status requests.
    pub status_polls: u32,
    /// The first request that saw it ended, if any.
    pub noticed: Option<Instant>,
}

/// Which of a job's documents a request asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Asked {
    Status,
    Result,
}

/// How a queued job was followed by its client: for measuring polling.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct JobStats {
    /// The job's id.
    pub request_id: String,
    /// Status and result requests the server answered about it.
    pub polls: u32,
    /// Of them, status requests (`GET /v2/requests/{id}/status`).
    pub status_polls: u32,
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

/// Why a charge was refused (each a 406 at Segmind).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    InsufficientCredits,
    SpendLimitReached,
}

struct Inner {
    credits: f64,
    spent: f64,
    rng: fastrand::Rng,
    window: VecDeque<Instant>,
    jobs: HashMap<String, Job>,
    accepted: AcceptedLog,
    history: History,
    storage: Storage,
    requests: u64,
    generation_posts: u64,
    rate_limited: u64,
    server_errors: u64,
    /// Fetches of each output file so far.
    output_fetches: HashMap<String, u32>,
}

impl State {
    pub fn new(config: MockConfig, base_url: String) -> Self {
        let inner = Inner {
            credits: config.initial_credits,
            spent: 0.0,
            rng: fastrand::Rng::with_seed(config.seed),
            window: VecDeque::new(),
            jobs: HashMap::new(),
            accepted: AcceptedLog::new(config.accepted_log_bytes),
            history: History::default(),
            storage: Storage::default(),
            requests: 0,
            generation_posts: 0,
            rate_limited: 0,
            server_errors: 0,
            output_fetches: HashMap::new(),
        };
        Self {
            config,
            base_url,
            pictures: Pictures::default(),
            inner: Mutex::new(inner),
        }
    }

    /// Counts a fetch of the output `file`; how many came before it.
    pub fn output_fetched(&self, file: &str) -> u32 {
        let mut inner = self.lock();
        let count = inner.output_fetches.entry(file.to_owned()).or_insert(0);
        let before = *count;
        *count = count.saturating_add(1);
        before
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts a request and draws whether to fail it with a 5xx.
    pub fn injected_server_error(&self) -> Option<u16> {
        let mut inner = self.lock();
        inner.requests += 1;
        let rate = self.config.faults.server_error_rate;
        let status = (rate > 0.0 && inner.rng.f64() < rate)
            .then(|| [500, 502, 503, 504][inner.rng.usize(..4)]);
        if status.is_some() {
            inner.server_errors = inner.server_errors.saturating_add(1);
        }
        status
    }

    pub fn server_errors(&self) -> u64 {
        self.lock().server_errors
    }

    /// Counts a 429.
    pub fn note_rate_limited(&self) {
        let mut inner = self.lock();
        inner.rate_limited = inner.rate_limited.saturating_add(1);
    }

    pub fn rate_limited(&self) -> u64 {
        self.lock().rate_limited
    }

    /// Whether to answer this poll with an HTML page.
    pub fn garbage_answer(&self) -> bool {
        let rate = self.config.faults.garbage_poll_rate;
        rate > 0.0 && self.lock().rng.f64() < rate
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
        let window = self.config.faults.rate_limit_window;
        let mut inner = self.lock();
        while inner
            .window
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= window)
        {
            inner.window.pop_front();
        }
        if inner.window.len() >= usize::try_from(limit).unwrap_or(usize::MAX) {
            let oldest = inner.window.front().copied().unwrap_or(now);
            return Err(window.saturating_sub(now.saturating_duration_since(oldest)));
        }
        inner.window.push_back(now);
        Ok(())
    }

    /// Charges `price`, returning the credits left. A spend limit already
    /// reached refuses every call, whatever its price; the call that
    /// crosses the limit goes through.
    pub fn charge(&self, price: f64) -> Result<f64, Refusal> {
        let mut inner = self.lock();
        let limit = self.config.spend_limit_usd;
        if limit.is_some_and(|limit| inner.spent + 1e-9 >= limit) {
            return Err(Refusal::SpendLimitReached);
        }
        if inner.credits + 1e-9 < price {
            return Err(Refusal::InsufficientCredits);
        }
        inner.credits -= price;
        inner.spent += price;
        Ok(inner.credits.max(0.0))
    }

    /// A fresh id in the configured style, from the seeded source.
    pub fn new_id(&self) -> String {
        self.id_from(&mut self.lock().rng)
    }

    /// A new job's id and processing time, drawn together, so that
    /// concurrent submissions cannot swap draws of the seeded source.
    pub fn new_job_draw(&self) -> (String, Duration) {
        let mut inner = self.lock();
        let id = self.id_from(&mut inner.rng);
        (id, self.processing_from(&mut inner.rng))
    }

    fn id_from(&self, rng: &mut fastrand::Rng) -> String {
        match self.config.answers.ids {
            IdStyle::Uuid => uuid_from(rng),
            IdStyle::Hex => format!("{:016x}{:016x}", rng.u64(..), rng.u64(..)),
        }
    }

    /// Counts a generation's POST (a sync call or a submission), whatever
    /// its answer.
    pub fn note_generation_post(&self) {
        let mut inner = self.lock();
        inner.generation_posts = inner.generation_posts.saturating_add(1);
    }

    pub fn generation_posts(&self) -> u64 {
        self.lock().generation_posts
    }

    pub fn record(&self, accepted: Accepted) {
        self.lock().accepted.push(accepted);
    }

    pub fn insert_job(&self, id: String, job: Job, now: Instant) {
        let ttl = self
            .config
            .job_time()
            .1
            .saturating_add(self.config.result_ttl);
        let mut inner = self.lock();
        if inner.accepted.jobs_submitted % SWEEP_EVERY == SWEEP_EVERY - 1 {
            inner
                .jobs
                .retain(|_, job| !clock::reached(now, job.submitted, ttl));
        }
        inner.jobs.insert(id, job);
    }

    /// The job, if `owner` created it and it has not expired (expired ones
    /// are forgotten). Another key's job is as unknown as a missing one.
    pub fn job(&self, id: &str, owner: KeyFingerprint, now: Instant) -> Option<Job> {
        self.live_job(id, now, |job| job.owner == owner)
    }

    /// The job whoever created it, for its public output URL.
    pub fn public_job(&self, id: &str, now: Instant) -> Option<Job> {
        self.live_job(id, now, |_| true)
    }

    fn live_job(&self, id: &str, now: Instant, visible: impl Fn(&Job) -> bool) -> Option<Job> {
        let mut inner = self.lock();
        let job = inner.jobs.get(id).filter(|job| visible(job))?.clone();
        if self.expired(&job, now) {
            inner.jobs.remove(id);
            return None;
        }
        Some(job)
    }

    fn expired(&self, job: &Job, now: Instant) -> bool {
        self.finished_at(job)
            .is_some_and(|end| clock::reached(now, end, self.config.result_ttl))
    }

    /// Counts a status or result request about `id`, noting when one first
    /// sees the job ended.
    pub fn note_poll(&self, id: &str, now: Instant, asked: Asked) {
        let ended = |job: &Job| self.finished_at(job).is_some_and(|end| now >= end);
        let mut inner = self.lock();
        if let Some(job) = inner.jobs.get_mut(id) {
            job.polls = job.polls.saturating_add(1);
            if asked == Asked::Status {
                job.status_polls = job.status_polls.saturating_add(1);
            }
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
            .map(|(id, job)| JobStats {
                request_id: id.clone(),
                polls: job.polls,
                status_polls: job.status_polls,
                took: self.config.queued_for.saturating_add(job.processing),
                // Only a job that ended can have been noticed.
                notice_delay: job
                    .noticed
                    .zip(self.finished_at(job))
                    .map(|(at, end)| at.saturating_duration_since(end)),
            })
            .collect()
    }

    /// When the job stops `QUEUED`; `None` if never.
    pub fn started_at(&self, job: &Job) -> Option<Instant> {
        clock::after(job.submitted, self.config.queued_for)
    }

    /// When the job ends; `None` if never.
    pub fn finished_at(&self, job: &Job) -> Option<Instant> {
        clock::after(self.started_at(job)?, job.processing)
    }

    fn processing_from(&self, rng: &mut fastrand::Rng) -> Duration {
        let spread = self.config.processing_spread;
        if spread.is_zero() {
            return self.config.processing_for;
        }
        let nanos = u64::try_from(spread.as_nanos()).unwrap_or(u64::MAX);
        let extra = Duration::from_nanos(rng.u64(0..=nanos));
        self.config.processing_for.saturating_add(extra)
    }

    /// Adds a request's row to the history.
    pub fn add_history(&self, row: Row) {
        self.lock().history.push(row);
    }

    pub fn history_page(
        &self,
        owner: KeyFingerprint,
        query: &Query,
        now: Instant,
    ) -> (Vec<RequestRecord>, usize) {
        self.lock()
            .history
            .page(owner, query, now, &self.config.faults)
    }

    pub fn history_record(
        &self,
        owner: KeyFingerprint,
        id: &str,
        now: Instant,
    ) -> Option<RequestRecord> {
        self.lock()
            .history
            .find(owner, id, now, &self.config.faults)
    }

    pub fn store(&self, name: String, mime: &'static str, bytes: Bytes) {
        self.lock().storage.put(name, mime, bytes);
    }

    pub fn stored(&self, name: &str) -> Option<(&'static str, Bytes)> {
        self.lock().storage.get(name)
    }

    pub fn accepted(&self) -> Vec<Accepted> {
        self.lock().accepted.entries()
    }

    /// (sync calls, jobs submitted) accepted so far.
    pub fn accepted_counts(&self) -> (u64, u64) {
        let log = &self.lock().accepted;
        (log.sync_calls, log.jobs_submitted)
    }

    pub fn credits(&self) -> f64 {
        self.lock().credits
    }

    pub fn requests(&self) -> u64 {
        self.lock().requests
    }
}

/// A UUID-shaped id from `rng`.
fn uuid_from(rng: &mut fastrand::Rng) -> String {
    let (a, b, c, d) = (rng.u32(..), rng.u16(..), rng.u16(..), rng.u64(..));
    format!(
        "{a:08x}-{b:04x}-4{:03x}-{:04x}-{:012x}",
        c & 0x0fff,
        0x8000 | (d >> 48) as u16 & 0x3fff,
        d & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::accepted::Mode;

    const OWNER: &str = "k";

    fn job(submitted: Instant) -> Job {
        Job {
            owner: KeyFingerprint::of(OWNER),
            submitted,
            processing: Duration::ZERO,
            picture_key: 0,
            width: 1,
            height: 1,
            cost: 0.0,
            failure: None,
            polls: 0,
            status_polls: 0,
            noticed: None,
        }
    }

    fn queued(n: u64) -> Accepted {
        Accepted {
            slug: "ideogram-txt-2-img".into(),
            mode: Mode::Queued,
            request_id: n.to_string(),
            body: Value::Null,
            user_agent: None,
            key: KeyFingerprint::of(OWNER),
            at: std::time::SystemTime::now(),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn expired_jobs_are_swept_as_new_ones_arrive() {
        let config = MockConfig {
            result_ttl: Duration::from_secs(10),
            ..MockConfig::default()
        };
        let state = State::new(config, "http://127.0.0.1:1".into());
        let owner = KeyFingerprint::of(OWNER);
        let start = Instant::now();
        for n in 0..SWEEP_EVERY {
            state.record(queued(n));
            state.insert_job(format!("old-{n}"), job(start), start);
        }
        tokio::time::advance(Duration::from_secs(60)).await;
        let now = Instant::now();
        for n in 0..SWEEP_EVERY {
            state.record(queued(n));
            state.insert_job(format!("new-{n}"), job(now), now);
        }
        let remaining = state.lock().jobs.len() as u64;
        assert!(remaining <= SWEEP_EVERY + 1, "{remaining} jobs kept");
        assert!(state.job("new-0", owner, now).is_some());
        assert!(state.job("old-0", owner, now).is_none());
        assert!(
            state
                .job("new-0", KeyFingerprint::of("other"), now)
                .is_none(),
            "another key's job is unknown"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn absurd_timings_never_end_and_never_panic() {
        let config = MockConfig {
            queued_for: Duration::MAX,
            processing_for: Duration::MAX,
            processing_spread: Duration::MAX,
            result_ttl: Duration::MAX,
            ..MockConfig::default()
        };
        let state = State::new(config, "http://127.0.0.1:1".into());
        let owner = KeyFingerprint::of(OWNER);
        let start = Instant::now();
        let mut long = job(start);
        long.processing = state.new_job_draw().1;
        assert_eq!(long.processing, Duration::MAX);
        for n in 0..SWEEP_EVERY {
            state.record(queued(n));
            state.insert_job(format!("job-{n}"), long.clone(), start);
        }
        tokio::time::advance(Duration::from_secs(365 * 24 * 3600)).await;
        let now = Instant::now();
        state.note_poll("job-0", now, Asked::Status);
        let kept = state
            .job("job-0", owner, now)
            .expect("a job that never ends never expires");
        assert_eq!(state.finished_at(&kept), None);
        assert_eq!(state.lock().jobs.len() as u64, SWEEP_EVERY);
        let stats = state.job_stats();
        assert!(
            stats
                .iter()
                .all(|s| s.took == Duration::MAX && s.notice_delay.is_none())
        );
    }

    #[test]
    fn a_reached_spend_limit_refuses_every_charge_but_charges_nothing() {
        let config = MockConfig {
            spend_limit_usd: Some(0.10),
            ..MockConfig::default()
        };
        let state = State::new(config, "http://127.0.0.1:1".into());
        assert!(state.charge(0.06).is_ok());
        assert!(
            state.charge(0.06).is_ok(),
            "the call that crosses it passes"
        );
        assert_eq!(state.charge(0.06), Err(Refusal::SpendLimitReached));
        assert_eq!(state.charge(0.0), Err(Refusal::SpendLimitReached));
        assert!((state.credits() - 99.88).abs() < 1e-9);
    }
}
