//! The batch's progress: a bar that ticks steadily with in-flight, done,
//! failed and remaining lines, the rate and an ETA, and the money (spent,
//! reserved, the budget, what the lines left may cost, credits left);
//! plain lines when stderr is not a terminal. It is the runner's
//! [`Report`]: the runner counts for the summary, this only shows.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use segmind_ideogram::Pacer;
use segmind_ideogram_ledger::{Ledger, Money, Outcome, Report, Usd};

use crate::batch::describe;

/// No credits read.
const UNKNOWN: u64 = u64::MAX;

pub struct BatchProgress {
    bar: ProgressBar,
    ledger: Arc<Ledger>,
    pacer: Pacer,
    started: Instant,
    plain: bool,
    spent_at_start: Usd,
    credits_at_start: AtomicU64,
    estimate: AtomicU64,
    finished: AtomicU64,
    done: AtomicU64,
    failed: AtomicU64,
    in_flight: AtomicU64,
}

impl BatchProgress {
    pub fn new(ledger: Arc<Ledger>, pacer: Pacer) -> Self {
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {bar:24} {pos}/{len} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let plain = bar.is_hidden();
        if !plain {
            bar.enable_steady_tick(Duration::from_millis(250));
        }
        Self {
            bar,
            spent_at_start: ledger.money().spent,
            ledger,
            pacer,
            started: Instant::now(),
            plain,
            credits_at_start: AtomicU64::new(UNKNOWN),
            estimate: AtomicU64::new(0),
            finished: AtomicU64::new(0),
            done: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
        }
    }

    pub fn set_total(&self, total: u64) {
        self.bar.set_length(total);
    }

    /// A line of the input that cannot run.
    pub fn invalid(&self, id: &str, error: &str) {
        self.ended(id, Outcome::Failed, error);
    }

    fn refresh(&self) {
        if !self.plain {
            self.bar.set_message(self.status());
        }
    }

    /// The one-line status: lines, rate, ETA and money.
    pub fn status(&self) -> String {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let total = self.bar.length().unwrap_or(0);
        let left = total.saturating_sub(get(&self.finished));
        let done_now = get(&self.done);
        let minutes = self.started.elapsed().as_secs_f64() / 60.0;
        let rate = if minutes > 0.0 {
            done_now as f64 / minutes
        } else {
            0.0
        };
        let mut text = format!(
            "done {done_now} failed {} in flight {} left {left}",
            get(&self.failed),
            get(&self.in_flight),
        );
        if rate > 0.0 && left > 0 {
            text.push_str(&format!(
                " | {rate:.1}/min, ETA {}",
                clock(left as f64 / rate * 60.0)
            ));
        }
        if let Some(paused) = self.pacer.paused_for() {
            text.push_str(&format!(
                " | paused {} (rate limit)",
                clock(paused.as_secs_f64())
            ));
        }
        text.push_str(" | ");
        text.push_str(&self.money_text());
        text
    }

    /// The money in words.
    pub fn money_text(&self) -> String {
        let credits = match self.credits_at_start.load(Ordering::Relaxed) {
            UNKNOWN => None,
            micros => Some(Usd::from_micros(micros)),
        };
        money_text(
            &self.ledger.money(),
            self.spent_at_start,
            Usd::from_micros(self.estimate.load(Ordering::Relaxed)),
            credits,
        )
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Report for BatchProgress {
    fn ended(&self, id: &str, outcome: Outcome, detail: &str) {
        self.finished.fetch_add(1, Ordering::Relaxed);
        match outcome {
            Outcome::Done | Outcome::AlreadyDone => &self.done,
            _ => &self.failed,
        }
        .fetch_add(1, Ordering::Relaxed);
        self.bar.inc(1);
        let worth_a_line =
            !matches!(outcome, Outcome::AlreadyDone | Outcome::NotRun) || !detail.is_empty();
        if worth_a_line && (self.plain || outcome != Outcome::Done) {
            let what = describe(outcome);
            let text = if detail.is_empty() {
                format!("{id}: {what}")
            } else {
                format!("{id}: {what}: {detail}")
            };
            self.bar.suspend(|| eprintln!("{text}"));
        }
        self.refresh();
    }

    fn note(&self, text: &str) {
        self.bar.suspend(|| eprintln!("{text}"));
    }

    fn in_flight(&self, delta: i64) {
        if delta >= 0 {
            self.in_flight
                .fetch_add(delta.unsigned_abs(), Ordering::Relaxed);
        } else {
            let _ = self
                .in_flight
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                    Some(n.saturating_sub(delta.unsigned_abs()))
                });
        }
        self.refresh();
    }

    fn estimate(&self, lines_left: Usd) {
        self.estimate.store(lines_left.micros(), Ordering::Relaxed);
    }

    fn credits(&self, at_start: Usd) {
        self.credits_at_start
            .store(at_start.micros().min(UNKNOWN - 1), Ordering::Relaxed);
    }
}

/// The money in words: what the ledger spent and holds, the budget and
/// what is left of it, what the lines not yet submitted may cost, and the
/// credits left (the start's, less what this run spent).
pub fn money_text(m: &Money, spent_at_start: Usd, estimate: Usd, credits: Option<Usd>) -> String {
    let mut text = format!("spent {}, reserved {}", m.spent, m.reserved);
    if let (Some(max), Some(room)) = (m.max, m.room()) {
        text.push_str(&format!(" of a {max:.2} budget ({room} left)"));
    }
    if estimate > Usd::ZERO {
        text.push_str(&format!("; the lines left may cost up to {estimate}"));
    }
    if let Some(credits) = credits {
        let spent_now = m.spent.saturating_sub(spent_at_start);
        text.push_str(&format!(
            ", ~{} of credits left",
            credits.saturating_sub(spent_now)
        ));
    }
    text
}

/// `1h02m`, `3m05s`, `12s`.
fn clock(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    match (s / 3600, (s % 3600) / 60, s % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m{s:02}s"),
        (h, m, _) => format!("{h}h{m:02}m"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks_and_money_read_well() {
        assert_eq!(clock(12.4), "12s");
        assert_eq!(clock(185.0), "3m05s");
        assert_eq!(clock(3720.0), "1h02m");
        let m = Money {
            max: Some(Usd::dollars(5)),
            spent: Usd::from_micros(1_250_000),
            reserved: Usd::from_micros(100_000),
        };
        assert_eq!(
            money_text(
                &m,
                Usd::from_micros(250_000),
                Usd::dollars(2),
                Some(Usd::dollars(10))
            ),
            "spent $1.250, reserved $0.100 of a $5.00 budget ($3.650 left); the lines left may \
             cost up to $2.000, ~$9.000 of credits left"
        );
        let nothing = Money {
            max: None,
            spent: Usd::ZERO,
            reserved: Usd::ZERO,
        };
        assert_eq!(
            money_text(&nothing, Usd::ZERO, Usd::ZERO, None),
            "spent $0.000, reserved $0.000"
        );
    }
}
