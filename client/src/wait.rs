//! How to wait for a queued job: the options, and the poll schedule they
//! give.
//!
//! Segmind's SDK polls right after submitting (always `QUEUED`) and then
//! one second after each answer: about 1 + job time / 1 s status requests,
//! and half a second on average between completion and notice. This
//! client's schedule depends on what it knows of the job's duration, from
//! the best source down:
//! - the caller's expectation ([`WaitOptions::expected_duration`]), or a
//!   stand-in server's announcement of its own job times
//!   ([`MOCK_JOB_TIME_HEADER`], which this workspace's mock sends), or the
//!   `metrics` of jobs this client saw finish: it waits until the job
//!   could first be done, then polls at a step sized to how much job times
//!   vary, and backs off once the job runs longer than usual;
//! - only the endpoint's typical latency in the registry (a fresh client):
//!   the SDK's own cadence from half that latency on, at half its requests
//!   (see `cold`);
//! - nothing (a job resumed by id): at once, then backing off from half a
//!   second.

mod cold;

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use reqwest::header::HeaderMap;
use tokio::time::Instant;

use crate::generated::{JobMetrics, JobStatus};
use cold::ColdSchedule;

/// The response header with which a stand-in server says it is one, and
/// how long its jobs take: `LOW-HIGH`, in whole milliseconds from
/// submission to completion (`3000-3000`, `9000-13000`). This workspace's
/// mock server sends it with every answer (unless told not to). A client
/// that reads it on a submission's answer polls that job on the server's
/// clock (as [`WaitOptions::expected_duration`] would) instead of a real
/// Segmind job's; Segmind does not send it. It is believed only from a
/// server on this machine (a loopback address or `localhost`).
pub const MOCK_JOB_TIME_HEADER: &str = "x-mock-job-ms";

/// The longest job time an announcement may give (a day, as for a job's
/// own metrics); a longer or malformed one is ignored.
const MAX_ANNOUNCED: Duration = Duration::from_secs(24 * 3600);

/// The shortest step between two polls of the adaptive schedule.
const MIN_STEP: Duration = Duration::from_millis(25);
/// The longest step inside the expected window.
const MAX_FINE_STEP: Duration = Duration::from_secs(2);
/// The longest step after the window, while backing off.
const MAX_COARSE_STEP: Duration = Duration::from_secs(10);
/// Polls across the window between a job's earliest and latest expected
/// end.
const STEPS_PER_WINDOW: u32 = 9;

/// How many recent job times are remembered per endpoint.
const SAMPLES: usize = 32;

/// How to wait for a job: how long at most, and when to poll.
///
/// The default polls adaptively (see the module docs of `wait`) for up to
/// 600 s; [`interval`](Self::interval) switches to a fixed interval.
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct WaitOptions {
    timeout: Duration,
    pace: Pace,
}

#[derive(Debug, Clone, PartialEq)]
enum Pace {
    Adaptive {
        /// The caller's expectation of the job time, as a range.
        expected: Option<(Duration, Duration)>,
    },
    Fixed {
        interval: Duration,
        backoff: f64,
        max_interval: Duration,
    },
}

impl Default for WaitOptions {
    /// Adaptive polling for up to 600 s (the SDK's deadline).
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(600),
            pace: Pace::Adaptive { expected: None },
        }
    }
}

impl WaitOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Polls right away and then every `interval` (growing by
    /// [`backoff`](Self::backoff) up to [`max_interval`](Self::max_interval)),
    /// instead of the adaptive schedule.
    pub fn interval(mut self, interval: Duration) -> Self {
        let (backoff, max_interval) = self.fixed_parts();
        self.pace = Pace::Fixed {
            interval,
            backoff,
            max_interval,
        };
        self
    }

    /// For a fixed interval: the factor it grows by after each poll
    /// (default 1: none). Values below 1, and NaN, count as 1. Switches to a
    /// fixed 1 s interval if none was set.
    pub fn backoff(mut self, factor: f64) -> Self {
        let factor = if factor.is_finite() && factor > 1.0 {
            factor
        } else {
            1.0
        };
        let interval = self.fixed_interval();
        let (_, max_interval) = self.fixed_parts();
        self.pace = Pace::Fixed {
            interval,
            backoff: factor,
            max_interval,
        };
        self
    }

    /// For a fixed interval: the longest interval the backoff reaches
    /// (default 10 s).
    pub fn max_interval(mut self, max: Duration) -> Self {
        let interval = self.fixed_interval();
        let (backoff, _) = self.fixed_parts();
        self.pace = Pace::Fixed {
            interval,
            backoff,
            max_interval: max,
        };
        self
    }

    /// The adaptive schedule, expecting jobs to take between `min` and
    /// `max` from submission to completion (a mock server's configured
    /// latency, say). Without it, the schedule learns from finished jobs.
    pub fn expected_duration(mut self, min: Duration, max: Duration) -> Self {
        self.pace = Pace::Adaptive {
            expected: Some((min.min(max), max.max(min))),
        };
        self
    }

    /// How long to wait in all (default 600 s): the deadline of one
    /// [`Job::wait`](crate::Job::wait). `Duration::MAX` waits for ever.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The wait's length.
    pub fn timeout_duration(&self) -> Duration {
        self.timeout
    }

    fn fixed_interval(&self) -> Duration {
        match self.pace {
            Pace::Fixed { interval, .. } => interval,
            Pace::Adaptive { .. } => Duration::from_secs(1),
        }
    }

    fn fixed_parts(&self) -> (f64, Duration) {
        match self.pace {
            Pace::Fixed {
                backoff,
                max_interval,
                ..
            } => (backoff, max_interval),
            Pace::Adaptive { .. } => (1.0, Duration::from_secs(10)),
        }
    }
}

/// A report on a job while it is waited on, given to the callback of
/// [`Job::wait_with_progress`](crate::Job::wait_with_progress) after every poll.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct JobUpdate {
    /// The job's state as Segmind reports it.
    pub status: JobStatus,
    /// Time since the wait began.
    pub elapsed: Duration,
    /// Status requests made so far in this wait.
    pub polls: u32,
    /// Timings and cost, once the job has ended.
    pub metrics: Option<JobMetrics>,
}

/// What a job is expected to take, from submission to completion.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Estimate {
    pub low: Duration,
    pub high: Duration,
}

impl Estimate {
    /// A stand-in server's announcement of its job times
    /// ([`MOCK_JOB_TIME_HEADER`]), if `headers` carry a sane one.
    pub fn announced(headers: &HeaderMap) -> Option<Self> {
        let value = headers.get(MOCK_JOB_TIME_HEADER)?.to_str().ok()?;
        let (low, high) = value.trim().split_once('-')?;
        let millis = |text: &str| -> Option<Duration> {
            let ms: u64 = text.trim().parse().ok()?;
            Some(Duration::from_millis(ms)).filter(|d| *d <= MAX_ANNOUNCED)
        };
        let (low, high) = (millis(low)?, millis(high)?);
        (low <= high).then_some(Self { low, high })
    }

    /// The value of [`MOCK_JOB_TIME_HEADER`] that announces jobs taking
    /// `low` to `high` (times past a day are announced as a day).
    pub fn announcement(low: Duration, high: Duration) -> String {
        let millis = |d: Duration| d.min(MAX_ANNOUNCED).as_millis();
        format!("{}-{}", millis(low.min(high)), millis(high.max(low)))
    }
}

/// What is known of how long a job takes, for its schedule.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Known {
    /// The server's own announcement ([`MOCK_JOB_TIME_HEADER`]).
    pub announced: Option<Estimate>,
    /// The range of the job times this client saw for the endpoint.
    pub learned: Option<Estimate>,
    /// The endpoint's typical latency in the registry.
    pub typical: Option<Duration>,
}

/// When to poll one job.
pub(crate) struct Schedule {
    plan: Plan,
}

enum Plan {
    Fixed {
        next_delay: Duration,
        backoff: f64,
        max_interval: Duration,
        first: bool,
    },
    /// Submitted at `origin` (this client's clock), expected in `estimate`.
    Window {
        origin: Instant,
        estimate: Estimate,
        step: Duration,
        coarse: Duration,
    },
    /// Only the registry's typical latency: the SDK's cadence at half its
    /// requests.
    Cold(ColdSchedule),
    /// Nothing known: poll now, then back off from half a second.
    Unknown { next_delay: Duration, first: bool },
}

impl Schedule {
    /// The schedule for one wait: from the options, what is `known` of the
    /// job's duration, and when this client's submission of it was
    /// answered (unknown for jobs resumed by id).
    pub fn new(options: &WaitOptions, known: Known, submitted: Option<Instant>) -> Self {
        let plan = match &options.pace {
            Pace::Fixed {
                interval,
                backoff,
                max_interval,
            } => Plan::Fixed {
                next_delay: *interval,
                backoff: *backoff,
                max_interval: (*max_interval).max(*interval),
                first: true,
            },
            Pace::Adaptive { expected } => {
                let estimate = expected
                    .map(|(low, high)| Estimate { low, high })
                    .or(known.announced)
                    .or(known.learned);
                match (estimate, known.typical, submitted) {
                    (Some(estimate), _, Some(origin)) => {
                        // Nine polls across the window: about half the
                        // SDK's requests, and half a step (1/18 of the
                        // window) between completion and notice on average.
                        let spread = estimate.high.saturating_sub(estimate.low);
                        let step = (spread / STEPS_PER_WINDOW).clamp(MIN_STEP, MAX_FINE_STEP);
                        Plan::Window {
                            origin,
                            estimate,
                            step,
                            coarse: step,
                        }
                    }
                    (None, Some(typical), Some(origin)) => {
                        Plan::Cold(ColdSchedule::new(origin, typical))
                    }
                    _ => Plan::Unknown {
                        next_delay: Duration::from_millis(500),
                        first: true,
                    },
                }
            }
        };
        Self { plan }
    }

    /// When to make the next poll, given the time now.
    pub fn next_poll(&mut self, now: Instant) -> Instant {
        let delay = match &mut self.plan {
            Plan::Cold(cold) => return cold.next_poll(now),
            Plan::Fixed {
                next_delay,
                backoff,
                max_interval,
                first,
            } => {
                if std::mem::take(first) {
                    Duration::ZERO
                } else {
                    let delay = *next_delay;
                    *next_delay = grow(delay, *backoff, *max_interval);
                    delay
                }
            }
            Plan::Unknown { next_delay, first } => {
                if std::mem::take(first) {
                    Duration::ZERO
                } else {
                    let delay = *next_delay;
                    *next_delay = grow(delay, 1.5, Duration::from_secs(5));
                    delay
                }
            }
            Plan::Window {
                origin,
                estimate,
                step,
                coarse,
            } => {
                let age = now.saturating_duration_since(*origin);
                if age < estimate.high {
                    // The next point of the grid low + k·step, k ≥ 1: the
                    // first poll comes one step after the earliest finish.
                    let past_low = age.saturating_sub(estimate.low);
                    let steps = past_low.as_nanos() / step.as_nanos().max(1) + 1;
                    let offset = step.saturating_mul(u32::try_from(steps).unwrap_or(u32::MAX));
                    (estimate.low.saturating_add(offset)).saturating_sub(age)
                } else {
                    // Longer than usual: back off.
                    let delay = *coarse;
                    *coarse = grow(delay, 1.5, MAX_COARSE_STEP.max(*step));
                    delay
                }
            }
        };
        later(now, delay)
    }
}

/// `now + delay`, or a point decades away when that does not fit.
pub(crate) fn later(now: Instant, delay: Duration) -> Instant {
    const FAR: Duration = Duration::from_secs(30 * 365 * 24 * 3600);
    now.checked_add(delay)
        .or_else(|| now.checked_add(FAR))
        .unwrap_or(now)
}

fn grow(delay: Duration, factor: f64, max: Duration) -> Duration {
    if factor <= 1.0 {
        return delay;
    }
    Duration::try_from_secs_f64(delay.as_secs_f64() * factor)
        .unwrap_or(max)
        .min(max)
}

/// Job times this client has seen, per endpoint.
#[derive(Debug, Default)]
pub(crate) struct LatencyBook {
    samples: Mutex<HashMap<&'static str, VecDeque<Duration>>>,
}

impl LatencyBook {
    /// Remembers that a job of `slug` took `took` from submission to completion.
    pub fn record(&self, slug: &'static str, took: Duration) {
        let mut samples = self.samples.lock().unwrap_or_else(|e| e.into_inner());
        let recent = samples.entry(slug).or_default();
        if recent.len() == SAMPLES {
            recent.pop_front();
        }
        recent.push_back(took);
    }

    /// The range recent jobs of `slug` took: the 10th to the 90th
    /// percentile, so that one outlier does not widen it.
    pub fn estimate(&self, slug: &str) -> Option<Estimate> {
        let samples = self.samples.lock().unwrap_or_else(|e| e.into_inner());
        let mut sorted: Vec<Duration> = samples.get(slug)?.iter().copied().collect();
        sorted.sort();
        let trim = sorted.len() / 10;
        Some(Estimate {
            low: *sorted.get(trim)?,
            high: *sorted.get(sorted.len() - 1 - trim)?,
        })
    }
}

/// How long a job took by its own metrics, when they say and make sense.
pub(crate) fn reported_duration(metrics: Option<&JobMetrics>) -> Option<Duration> {
    let metrics = metrics?;
    let seconds = metrics.total_time.or_else(|| {
        let inference = metrics.inference_time?;
        Some(inference + metrics.queue_time.unwrap_or(0.0))
    })?;
    (seconds.is_finite() && seconds > 0.0 && seconds < 24.0 * 3600.0)
        .then(|| Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    /// The poll times of `schedule`, relative to `origin`, up to `until`.
    fn polls(mut schedule: Schedule, origin: Instant, until: f64) -> Vec<f64> {
        let mut now = origin;
        let mut out = Vec::new();
        loop {
            let at = schedule.next_poll(now);
            let t = at.duration_since(origin).as_secs_f64();
            if t > until {
                return out;
            }
            out.push((t * 1000.0).round() / 1000.0);
            now = at;
        }
    }

    #[tokio::test(start_paused = true)]
    async fn fixed_intervals_poll_at_once_then_grow_to_the_cap() {
        let options = WaitOptions::new()
            .interval(secs(1.0))
            .backoff(2.0)
            .max_interval(secs(5.0));
        let origin = Instant::now();
        let schedule = Schedule::new(&options, Known::default(), Some(origin));
        assert_eq!(
            polls(schedule, origin, 20.0),
            [0.0, 1.0, 3.0, 7.0, 12.0, 17.0]
        );
        let flat = WaitOptions::new().backoff(f64::NAN);
        let schedule = Schedule::new(&flat, Known::default(), None);
        assert_eq!(polls(schedule, origin, 3.0), [0.0, 1.0, 2.0, 3.0]);
    }

    #[tokio::test(start_paused = true)]
    async fn the_adaptive_schedule_waits_for_the_window_then_steps_through_it() {
        let origin = Instant::now();
        let learned = Estimate {
            low: secs(9.0),
            high: secs(13.0),
        };
        let known = Known {
            learned: Some(learned),
            typical: Some(secs(21.6)),
            ..Known::default()
        };
        let schedule = Schedule::new(&WaitOptions::new(), known, Some(origin));
        let times = polls(schedule, origin, 13.0);
        let step = 4.0 / 9.0;
        assert!((times[0] - (9.0 + step)).abs() < 2e-3, "{times:?}");
        // Nine polls across the window: a 9–13 s job is seen by the fifth on
        // average, against the twelfth of the SDK's polls once a second.
        assert_eq!(times.len(), 9, "{times:?}");
        assert!(
            times.windows(2).all(|w| (w[1] - w[0] - step).abs() < 2e-3),
            "{times:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn past_the_window_polls_back_off_and_an_expectation_wins() {
        let origin = Instant::now();
        let options = WaitOptions::new().expected_duration(secs(0.2), secs(0.2));
        let window = |low: f64, high: f64| {
            Some(Estimate {
                low: secs(low),
                high: secs(high),
            })
        };
        let known = Known {
            announced: window(3.0, 3.0),
            learned: window(30.0, 40.0),
            typical: Some(secs(20.0)),
        };
        let schedule = Schedule::new(&options, known, Some(origin));
        let times = polls(schedule, origin, 1.0);
        assert_eq!(times[0], 0.225, "{times:?}");
        let gaps: Vec<f64> = times.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(gaps.windows(2).all(|g| g[1] >= g[0] - 1e-9), "{gaps:?}");
        // Without the caller's expectation, a server's announcement comes
        // before what was learned: a 3 s mock job is seen 25 ms after it
        // ends, not at the SDK's next tick or the learned window's.
        let schedule = Schedule::new(&WaitOptions::new(), known, Some(origin));
        assert_eq!(polls(schedule, origin, 3.07), [3.025, 3.05]);
        // What was learned comes before the registry's typical latency.
        let learned_only = Known {
            announced: None,
            ..known
        };
        let schedule = Schedule::new(&WaitOptions::new(), learned_only, Some(origin));
        assert_eq!(polls(schedule, origin, 31.2), [31.111]);
        // And the typical latency alone gives the cold schedule (its own
        // tests in `cold`): the SDK's cadence from half of it.
        let typical_only = Known {
            typical: Some(secs(20.0)),
            ..Known::default()
        };
        let schedule = Schedule::new(&WaitOptions::new(), typical_only, Some(origin));
        assert_eq!(polls(schedule, origin, 13.0), [10.0, 11.0, 12.0, 13.0]);
    }

    #[test]
    fn announcements_are_read_when_sane() {
        let read = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(MOCK_JOB_TIME_HEADER, value.parse().unwrap());
            Estimate::announced(&headers).map(|e| (e.low.as_millis(), e.high.as_millis()))
        };
        assert_eq!(read("3000-3000"), Some((3000, 3000)));
        assert_eq!(read(" 9000 - 13000 "), Some((9000, 13000)));
        assert_eq!(read("86400000-86400000"), Some((86_400_000, 86_400_000)));
        for bad in [
            "",
            "3000",
            "13000-9000",
            "-1-5",
            "1.5-2",
            "0x10-20",
            "1-86400001",
            "1-2-3",
            "99999999999999999999-1",
        ] {
            assert_eq!(read(bad), None, "{bad:?}");
        }
        assert_eq!(Estimate::announced(&HeaderMap::new()), None);
        // What the mock sends is what the client reads.
        let sent = Estimate::announcement(secs(13.0), secs(9.0));
        assert_eq!(sent, "9000-13000");
        assert_eq!(read(&sent), Some((9000, 13000)));
        assert_eq!(
            Estimate::announcement(Duration::MAX, Duration::MAX),
            "86400000-86400000"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_unknown_job_is_polled_at_once() {
        let origin = Instant::now();
        let known = Known {
            typical: Some(secs(20.0)),
            ..Known::default()
        };
        let schedule = Schedule::new(&WaitOptions::new(), known, None);
        assert_eq!(polls(schedule, origin, 2.0), [0.0, 0.5, 1.25]);
    }

    #[tokio::test(start_paused = true)]
    async fn extreme_values_never_overflow() {
        let origin = Instant::now();
        let options = WaitOptions::new()
            .interval(Duration::MAX)
            .backoff(1e300)
            .timeout(Duration::MAX);
        let mut schedule = Schedule::new(&options, Known::default(), Some(origin));
        for _ in 0..3 {
            schedule.next_poll(origin);
        }
        let huge = Estimate {
            low: Duration::MAX,
            high: Duration::MAX,
        };
        let known = Known {
            announced: Some(huge),
            typical: Some(Duration::MAX),
            ..Known::default()
        };
        let mut schedule = Schedule::new(&WaitOptions::new(), known, Some(origin));
        schedule.next_poll(origin);
        let known = Known {
            typical: Some(Duration::MAX),
            ..Known::default()
        };
        let mut schedule = Schedule::new(&WaitOptions::new(), known, Some(origin));
        schedule.next_poll(origin);
    }

    #[test]
    fn the_book_keeps_recent_times_and_trims_outliers() {
        let book = LatencyBook::default();
        assert_eq!(book.estimate("x"), None);
        for s in 0..40 {
            book.record("x", secs(10.0 + f64::from(s % 4)));
        }
        book.record("x", secs(300.0));
        let estimate = book.estimate("x").unwrap();
        assert_eq!(estimate.low, secs(10.0));
        assert_eq!(estimate.high, secs(13.0));
    }

    #[test]
    fn metrics_give_the_duration_when_sane() {
        let mut m = JobMetrics::new();
        assert_eq!(reported_duration(Some(&m)), None);
        m.inference_time = Some(9.0);
        m.queue_time = Some(1.5);
        assert_eq!(reported_duration(Some(&m)), Some(secs(10.5)));
        m.total_time = Some(f64::NAN);
        assert_eq!(reported_duration(Some(&m)), None);
        m.total_time = Some(11.0);
        assert_eq!(reported_duration(Some(&m)), Some(secs(11.0)));
    }
}
