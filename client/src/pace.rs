//! Pacing of submissions, shared by every clone of a client: a fixed rate
//! when the caller knows the account's limit, else the limit learned from
//! the first 429 (pause until the reset Segmind names, then space
//! submissions at the rate it accepted). A stopped pacer lets no new
//! submission start and wakes every wait of the client, which then ends
//! with [`Error::Interrupted`](crate::Error::Interrupted): how a batch
//! stops within a second, whatever the server asked it to wait.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

/// The window Segmind counts a rate limit over.
const MINUTE: Duration = Duration::from_secs(60);

/// Each window is this much longer than the limit's, so that network
/// jitter cannot make the server see `limit + 1` submissions in one window:
/// 1.5 % of it (98.5 % of the rate at Segmind's minute), and at least
/// [`MIN_SLACK`].
const MARGIN: f64 = 0.985;

/// The least slack per window, for short windows where 1.5 % is less than
/// a loaded machine's jitter.
const MIN_SLACK: Duration = Duration::from_millis(250);

/// How long a 429 without a reset time pauses submissions.
const DEFAULT_PAUSE: Duration = Duration::from_secs(2);

/// Paces a client's submissions (v1 calls and v2 submits); see the module
/// docs. Cheap to clone: clones share the pace.
///
/// ```
/// use segmind_ideogram::{Client, Pacer};
///
/// let pacer = Pacer::per_minute(50);
/// let client = Client::builder().api_key("k").pacer(pacer.clone()).build()?;
/// // On Ctrl-C: no new submission starts, and every wait ends at once.
/// pacer.stop();
/// # Ok::<(), segmind_ideogram::Error>(())
/// ```
#[derive(Clone)]
pub struct Pacer {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<State>,
    stop: watch::Sender<bool>,
}

struct State {
    /// The window the limit is counted over.
    window: Duration,
    /// Time between two submissions; `None` until a rate is set or learned.
    spacing: Option<Duration>,
    /// The earliest the next submission may start.
    next: Instant,
    /// No submission before this (after a 429).
    paused_until: Option<Instant>,
    /// When recent submissions were accepted (not 429), for learning.
    accepted: VecDeque<Instant>,
    /// 429s seen.
    rate_limited: u64,
    /// The longest pause a 429 may impose.
    max_pause: Duration,
}

impl std::fmt::Debug for Pacer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pacer")
            .field("per_minute", &self.per_minute_now())
            .field("stopped", &self.is_stopped())
            .finish_non_exhaustive()
    }
}

/// Why [`Pacer::turn`] did not give a turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stopped;

impl Default for Pacer {
    fn default() -> Self {
        Self::new()
    }
}

impl Pacer {
    /// No pace until the first 429 teaches one.
    pub fn new() -> Self {
        let (stop, _) = watch::channel(false);
        Self {
            inner: Arc::new(Inner {
                state: Mutex::new(State {
                    window: MINUTE,
                    spacing: None,
                    next: Instant::now(),
                    paused_until: None,
                    accepted: VecDeque::new(),
                    rate_limited: 0,
                    max_pause: Duration::from_secs(60),
                }),
                stop,
            }),
        }
    }

    /// At most `limit` submissions per minute (spaced evenly, a little
    /// wider than the limit), so a key used by nothing else never sees a
    /// 429; a 429 still teaches a lower rate.
    pub fn per_minute(limit: u32) -> Self {
        Self::per_window(limit, MINUTE)
    }

    /// At most `limit` submissions per `window` (Segmind's is a minute).
    /// The window is also the one a 429 teaches a rate over.
    pub fn per_window(limit: u32, window: Duration) -> Self {
        let pacer = Self::new();
        {
            let mut state = pacer.lock();
            state.window = window;
            state.spacing = Some(spacing(limit.max(1), window));
        }
        pacer
    }

    /// Learns over `window` instead of a minute, with no pace until a 429.
    #[must_use]
    pub fn learning_over(self, window: Duration) -> Self {
        self.lock().window = window;
        self
    }

    /// The longest pause a 429 may impose (default 60 s); a longer reset
    /// time is capped to it.
    #[must_use]
    pub fn max_pause(self, max: Duration) -> Self {
        self.lock().max_pause = max;
        self
    }

    /// Lets no new submission start, and wakes every wait of the clients
    /// using this pacer: they end with [`Error::Interrupted`](crate::Error::Interrupted).
    /// Requests already sent go on.
    pub fn stop(&self) {
        self.inner.stop.send_replace(true);
    }

    /// Whether [`stop`](Self::stop) was called.
    pub fn is_stopped(&self) -> bool {
        *self.inner.stop.borrow()
    }

    /// The current pace in submissions per minute, if any.
    pub fn per_minute_now(&self) -> Option<f64> {
        self.lock()
            .spacing
            .map(|s| MINUTE.as_secs_f64() / s.as_secs_f64().max(f64::MIN_POSITIVE))
    }

    /// How many 429s the pacer has seen.
    pub fn rate_limited(&self) -> u64 {
        self.lock().rate_limited
    }

    /// Until when submissions are paused after a 429, if they are.
    pub fn paused_for(&self) -> Option<Duration> {
        let until = self.lock().paused_until?;
        let left = until.saturating_duration_since(Instant::now());
        (!left.is_zero()).then_some(left)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for this submission's turn.
    pub(crate) async fn turn(&self) -> Result<(), Stopped> {
        let mut stop = self.inner.stop.subscribe();
        loop {
            if *stop.borrow_and_update() {
                return Err(Stopped);
            }
            let wake = {
                let mut state = self.lock();
                let now = Instant::now();
                let at = state.next.max(state.paused_until.unwrap_or(now));
                if at <= now {
                    if let Some(spacing) = state.spacing {
                        state.next = crate::wait::later(now, spacing);
                    }
                    return Ok(());
                }
                at
            };
            tokio::select! {
                () = tokio::time::sleep_until(wake) => {}
                _ = stop.changed() => {}
            }
        }
    }

    /// Sleeps `delay` unless stopped first.
    pub(crate) async fn sleep(&self, delay: Duration) -> Result<(), Stopped> {
        let mut stop = self.inner.stop.subscribe();
        if *stop.borrow_and_update() {
            return Err(Stopped);
        }
        tokio::select! {
            () = tokio::time::sleep(delay) => Ok(()),
            _ = stop.changed() => Err(Stopped),
        }
    }

    /// A submission was accepted (answered with anything but 429).
    pub(crate) fn accepted(&self) {
        let mut state = self.lock();
        let now = Instant::now();
        let window = state.window;
        state.accepted.push_back(now);
        while state
            .accepted
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= window)
        {
            state.accepted.pop_front();
        }
    }

    /// A submission was answered 429: pause until the reset (capped), and
    /// learn the rate the server accepted over the last window.
    pub(crate) fn rate_limited_for(&self, reset_in: Option<Duration>) {
        let mut state = self.lock();
        let now = Instant::now();
        state.rate_limited = state.rate_limited.saturating_add(1);
        let pause = reset_in.unwrap_or(DEFAULT_PAUSE).min(state.max_pause);
        let until = crate::wait::later(now, pause);
        state.paused_until = Some(state.paused_until.map_or(until, |p| p.max(until)));
        let window = state.window;
        let seen = u32::try_from(
            state
                .accepted
                .iter()
                .filter(|t| now.saturating_duration_since(**t) < window)
                .count(),
        )
        .unwrap_or(u32::MAX)
        .max(1);
        let learned = spacing(seen, window);
        // Only ever slower: a limit we were already under is not the limit.
        state.spacing = Some(state.spacing.map_or(learned, |s| s.max(learned)));
    }
}

/// The time between submissions for `limit` per `window`, with the margin.
fn spacing(limit: u32, window: Duration) -> Duration {
    let widened =
        (window.as_secs_f64() / MARGIN).max(window.as_secs_f64() + MIN_SLACK.as_secs_f64());
    Duration::try_from_secs_f64(widened / f64::from(limit)).unwrap_or(Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_fixed_rate_spaces_turns_evenly_just_under_the_limit() {
        let pacer = Pacer::per_minute(60);
        let start = Instant::now();
        let mut turns = Vec::new();
        for _ in 0..5 {
            pacer.turn().await.unwrap();
            turns.push(start.elapsed().as_secs_f64());
        }
        assert_eq!(turns[0], 0.0);
        let gaps: Vec<f64> = turns.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(
            gaps.iter().all(|g| (*g - 1.0 / MARGIN).abs() < 1e-3),
            "{gaps:?}"
        );
        let rate = pacer.per_minute_now().unwrap();
        assert!((0.98 * 60.0..60.0).contains(&rate), "{rate}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_pauses_until_the_reset_and_teaches_the_rate() {
        let pacer = Pacer::new();
        for _ in 0..10 {
            pacer.turn().await.unwrap();
            pacer.accepted();
        }
        assert_eq!(pacer.per_minute_now(), None);
        pacer.rate_limited_for(Some(Duration::from_secs(30)));
        let start = Instant::now();
        pacer.turn().await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_secs(30));
        let rate = pacer.per_minute_now().unwrap();
        assert!((rate - 10.0 * MARGIN).abs() < 1e-6, "{rate}");
        assert_eq!(pacer.rate_limited(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn absurd_resets_are_capped_and_a_stop_wakes_the_wait() {
        let pacer = Pacer::new().max_pause(Duration::from_secs(5));
        pacer.rate_limited_for(Some(Duration::MAX));
        assert_eq!(pacer.paused_for(), Some(Duration::from_secs(5)));
        let waiting = {
            let pacer = pacer.clone();
            tokio::spawn(async move { pacer.turn().await })
        };
        tokio::time::sleep(Duration::from_secs(1)).await;
        pacer.stop();
        assert_eq!(waiting.await.unwrap(), Err(Stopped));
        assert_eq!(pacer.sleep(Duration::from_secs(1)).await, Err(Stopped));
        assert!(pacer.is_stopped());
    }
}
