//! Pacing of submissions, shared by every clone of a client: a known limit
//! when the caller gives one, else the limit learned from the first 429
//! (pause until the reset Segmind names, then keep to the count it
//! accepted over the window). A stopped pacer lets no new submission start
//! and wakes every wait of the client, which then ends with
//! [`Error::Interrupted`](crate::Error::Interrupted): how a batch stops
//! within a second, whatever the server asked it to wait.
//!
//! A limit of N per window is kept two ways. Submissions are spaced evenly,
//! a little wider than the window allows, so they flow smoothly. And a
//! submission starts only when fewer than N others are in flight or were
//! answered within the last window: the server counts a submission when it
//! arrives, which is never after its answer, so however late the network
//! delivers one, no window the server counts holds more than N.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use reqwest::StatusCode;
use tokio::sync::{Notify, watch};
use tokio::time::Instant;

/// The window Segmind counts a rate limit over.
const MINUTE: Duration = Duration::from_secs(60);

/// Spacing widens each window by 1.5 % (98.5 % of the rate at Segmind's
/// minute), and by at least [`MIN_SLACK`], for smoothness; the count of
/// answers is what keeps the limit.
const MARGIN: f64 = 0.985;

/// The least slack per window of the spacing.
const MIN_SLACK: Duration = Duration::from_millis(50);

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
    /// Signalled when a submission ends, freeing room in the window.
    ended: Notify,
}

struct State {
    /// The window the limit is counted over.
    window: Duration,
    /// Submissions per window; `None` until given or learned.
    limit: Option<u32>,
    /// The earliest the next submission may start.
    next: Instant,
    /// No submission before this (after a 429).
    paused_until: Option<Instant>,
    /// Submissions under way.
    in_flight: u32,
    /// When recent submissions were answered (or ended without an answer).
    ended: VecDeque<Instant>,
    /// When recent submissions were accepted (not 429), for learning.
    accepted: VecDeque<Instant>,
    /// 429s seen.
    rate_limited: u64,
    /// The longest pause a 429 may impose.
    max_pause: Duration,
}

impl State {
    /// Forgets what left the window.
    fn prune(&mut self, now: Instant) {
        let window = self.window;
        for times in [&mut self.ended, &mut self.accepted] {
            while times
                .front()
                .is_some_and(|t| now.saturating_duration_since(*t) >= window)
            {
                times.pop_front();
            }
        }
    }

    fn spacing(&self) -> Option<Duration> {
        self.limit.map(|limit| spacing(limit, self.window))
    }
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

/// A submission's turn. Ending it records when the submission ended; a turn
/// dropped without ending (a cancelled call) ends as it is dropped.
pub(crate) struct Turn {
    pacer: Pacer,
    done: bool,
}

impl Turn {
    /// The submission got an answer with `status` (`None`: no answer, such
    /// as a lost connection; it may still have arrived).
    pub(crate) fn end(mut self, status: Option<StatusCode>, reset_in: Option<Duration>) {
        self.done = true;
        self.pacer.ended(status, reset_in);
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        if !self.done {
            self.pacer.ended(None, None);
        }
    }
}

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
                    limit: None,
                    next: Instant::now(),
                    paused_until: None,
                    in_flight: 0,
                    ended: VecDeque::new(),
                    accepted: VecDeque::new(),
                    rate_limited: 0,
                    max_pause: Duration::from_secs(60),
                }),
                stop,
                ended: Notify::new(),
            }),
        }
    }

    /// At most `limit` submissions per minute, so a key used by nothing
    /// else never sees a 429; a 429 still teaches a lower limit.
    pub fn per_minute(limit: u32) -> Self {
        Self::per_window(limit, MINUTE)
    }

    /// At most `limit` submissions per `window` (Segmind's is a minute).
    /// The window is also the one a 429 teaches a limit over.
    pub fn per_window(limit: u32, window: Duration) -> Self {
        let pacer = Self::new();
        {
            let mut state = pacer.lock();
            state.window = window;
            state.limit = Some(limit.max(1));
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
        let state = self.lock();
        let limit = state.limit?;
        Some(
            f64::from(limit) * MINUTE.as_secs_f64()
                / state.window.as_secs_f64().max(f64::MIN_POSITIVE),
        )
    }

    /// How many 429s the pacer has seen.
    pub fn rate_limited(&self) -> u64 {
        self.lock().rate_limited
    }

    /// How much longer submissions are paused after a 429, if they are.
    pub fn paused_for(&self) -> Option<Duration> {
        let until = self.lock().paused_until?;
        let left = until.saturating_duration_since(Instant::now());
        (!left.is_zero()).then_some(left)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for this submission's turn.
    pub(crate) async fn turn(&self) -> Result<Turn, Stopped> {
        let mut stop = self.inner.stop.subscribe();
        loop {
            // Registered before looking, so an end between the look and the
            // wait is not missed.
            let ended = self.inner.ended.notified();
            if *stop.borrow_and_update() {
                return Err(Stopped);
            }
            let wake = {
                let mut state = self.lock();
                let now = Instant::now();
                state.prune(now);
                let mut at = state.next.max(state.paused_until.unwrap_or(now));
                let full = state.limit.is_some_and(|limit| {
                    state.in_flight as usize + state.ended.len() >= limit as usize
                });
                if full {
                    // Room comes when the oldest answer leaves the window,
                    // or when a submission in flight ends.
                    let freed = state
                        .ended
                        .front()
                        .map(|t| crate::wait::later(*t, state.window));
                    at = at.max(freed.unwrap_or_else(|| crate::wait::later(now, state.window)));
                }
                if at <= now && !full {
                    if let Some(spacing) = state.spacing() {
                        state.next = crate::wait::later(now, spacing);
                    }
                    state.in_flight = state.in_flight.saturating_add(1);
                    return Ok(Turn {
                        pacer: self.clone(),
                        done: false,
                    });
                }
                at
            };
            tokio::select! {
                () = tokio::time::sleep_until(wake) => {}
                () = ended => {}
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

    /// A submission ended: with an answer of `status`, or without one.
    fn ended(&self, status: Option<StatusCode>, reset_in: Option<Duration>) {
        {
            let mut state = self.lock();
            let now = Instant::now();
            state.in_flight = state.in_flight.saturating_sub(1);
            match status {
                // Refused, so not counted by the server; its reset time
                // says when there is room again.
                Some(StatusCode::TOO_MANY_REQUESTS) => rate_limited(&mut state, now, reset_in),
                Some(_) => {
                    state.ended.push_back(now);
                    state.accepted.push_back(now);
                }
                // Without an answer it may still have arrived: count it.
                None => state.ended.push_back(now),
            }
            state.prune(now);
        }
        self.inner.ended.notify_waiters();
    }
}

/// A 429: pause until the reset (capped), and learn the count the server
/// accepted over the last window, only ever lowering the limit.
fn rate_limited(state: &mut State, now: Instant, reset_in: Option<Duration>) {
    state.rate_limited = state.rate_limited.saturating_add(1);
    let pause = reset_in.unwrap_or(DEFAULT_PAUSE).min(state.max_pause);
    let until = crate::wait::later(now, pause);
    state.paused_until = Some(state.paused_until.map_or(until, |p| p.max(until)));
    state.prune(now);
    let seen = u32::try_from(state.accepted.len())
        .unwrap_or(u32::MAX)
        .max(1);
    state.limit = Some(state.limit.map_or(seen, |l| l.min(seen)));
}

/// The time between submissions for `limit` per `window`, with the margin.
fn spacing(limit: u32, window: Duration) -> Duration {
    let widened =
        (window.as_secs_f64() / MARGIN).max(window.as_secs_f64() + MIN_SLACK.as_secs_f64());
    Duration::try_from_secs_f64(widened / f64::from(limit.max(1))).unwrap_or(Duration::MAX)
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
            let turn = pacer.turn().await.unwrap();
            turns.push(start.elapsed().as_secs_f64());
            turn.end(Some(StatusCode::OK), None);
        }
        assert_eq!(turns[0], 0.0);
        let gaps: Vec<f64> = turns.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(
            gaps.iter().all(|g| (*g - 1.0 / MARGIN).abs() < 1e-3),
            "{gaps:?}"
        );
        let rate = pacer.per_minute_now().unwrap();
        assert_eq!(rate, 60.0);
    }

    #[tokio::test(start_paused = true)]
    async fn no_window_holds_more_than_the_limit_however_late_the_answers() {
        let window = Duration::from_secs(1);
        let pacer = Pacer::per_window(2, window);
        // Two submissions whose answers take 3 s: a third may not start
        // until a window after the first answer.
        let (a, b) = (pacer.turn().await.unwrap(), {
            tokio::time::sleep(Duration::from_millis(600)).await;
            pacer.turn().await.unwrap()
        });
        let start = Instant::now();
        let third = {
            let pacer = pacer.clone();
            tokio::spawn(async move { pacer.turn().await.map(|t| (Instant::now(), t)) })
        };
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert!(!third.is_finished(), "both are still in flight");
        a.end(Some(StatusCode::OK), None);
        b.end(Some(StatusCode::OK), None);
        let answered = Instant::now();
        let (at, _turn) = third.await.unwrap().unwrap();
        assert_eq!(at.duration_since(answered), window);
        assert!(at.duration_since(start) >= Duration::from_secs(4));
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_pauses_until_the_reset_and_teaches_the_limit() {
        let pacer = Pacer::new();
        // Ten accepted over 30 s, then a 429 naming the reset: when the
        // first of them leaves the server's minute.
        for _ in 0..10 {
            pacer.turn().await.unwrap().end(Some(StatusCode::OK), None);
            tokio::time::sleep(Duration::from_secs(3)).await;
        }
        assert_eq!(pacer.per_minute_now(), None);
        pacer.turn().await.unwrap().end(
            Some(StatusCode::TOO_MANY_REQUESTS),
            Some(Duration::from_secs(30)),
        );
        assert_eq!(pacer.per_minute_now(), Some(10.0));
        assert_eq!(pacer.rate_limited(), 1);
        let start = Instant::now();
        let _turn = pacer.turn().await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_secs(30));
    }

    #[tokio::test(start_paused = true)]
    async fn absurd_resets_are_capped_and_a_stop_wakes_the_wait() {
        let pacer = Pacer::new().max_pause(Duration::from_secs(5));
        pacer
            .turn()
            .await
            .unwrap()
            .end(Some(StatusCode::TOO_MANY_REQUESTS), Some(Duration::MAX));
        assert_eq!(pacer.paused_for(), Some(Duration::from_secs(5)));
        let waiting = {
            let pacer = pacer.clone();
            tokio::spawn(async move { pacer.turn().await.map(|_| ()) })
        };
        tokio::time::sleep(Duration::from_secs(1)).await;
        pacer.stop();
        assert_eq!(waiting.await.unwrap(), Err(Stopped));
        assert_eq!(pacer.sleep(Duration::from_secs(1)).await, Err(Stopped));
        assert!(pacer.is_stopped());
    }

    #[tokio::test(start_paused = true)]
    async fn a_cancelled_submission_gives_its_turn_back() {
        let pacer = Pacer::per_window(1, Duration::from_secs(1));
        drop(pacer.turn().await.unwrap());
        assert_eq!(pacer.lock().in_flight, 0);
        let start = Instant::now();
        let _turn = pacer.turn().await.unwrap();
        assert!(
            start.elapsed() >= Duration::from_secs(1),
            "a window after it ended"
        );
    }
}
