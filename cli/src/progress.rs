//! The batch's progress: a bar that ticks steadily with in-flight, done,
//! failed and remaining lines, the rate and an ETA, and the money
//! (estimate, reserved, spent, credits left); plain lines when stderr is
//! not a terminal.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use segmind_ideogram::Pacer;

use crate::money::{Money, Snapshot};

/// How a line ended in this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Saved in this run.
    Done,
    /// Saved by an earlier run.
    AlreadyDone,
    /// Failed for good (refused, or the job failed); a rerun tries again.
    Failed,
    /// Its job is known but not finished here; a rerun resumes it.
    Pending,
    /// Its submission may or may not have reached Segmind.
    Unresolved,
    /// Not submitted: the budget would be passed.
    OverBudget,
    /// Not submitted: the batch was stopped (interrupted, or a fatal error).
    NotRun,
}

#[derive(Debug, Default)]
pub struct Counts {
    pub done: AtomicU64,
    pub skipped: AtomicU64,
    pub failed: AtomicU64,
    pub pending: AtomicU64,
    pub unresolved: AtomicU64,
    pub over_budget: AtomicU64,
    pub not_run: AtomicU64,
    pub in_flight: AtomicU64,
    pub reconciled: AtomicU64,
}

impl Counts {
    fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    pub fn finished(&self) -> u64 {
        [
            &self.done,
            &self.skipped,
            &self.failed,
            &self.pending,
            &self.unresolved,
            &self.over_budget,
            &self.not_run,
        ]
        .iter()
        .map(|c| Self::get(c))
        .sum()
    }
}

pub struct BatchProgress {
    bar: ProgressBar,
    pub counts: Counts,
    money: Arc<Money>,
    pacer: Pacer,
    started: Instant,
    plain: bool,
}

impl BatchProgress {
    pub fn new(total: u64, money: Arc<Money>, pacer: Pacer) -> Self {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
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
            counts: Counts::default(),
            money,
            pacer,
            started: Instant::now(),
            plain,
        }
    }

    /// A line ended: count it and show it.
    pub fn ended(&self, line: &str, outcome: Outcome, detail: &str) {
        let c = &self.counts;
        let counter = match outcome {
            Outcome::Done => &c.done,
            Outcome::AlreadyDone => &c.skipped,
            Outcome::Failed => &c.failed,
            Outcome::Pending => &c.pending,
            Outcome::Unresolved => &c.unresolved,
            Outcome::OverBudget => &c.over_budget,
            Outcome::NotRun => &c.not_run,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        self.bar.inc(1);
        let worth_a_line = !matches!(outcome, Outcome::AlreadyDone | Outcome::NotRun);
        if worth_a_line && (self.plain || outcome != Outcome::Done) {
            self.bar
                .suspend(|| eprintln!("{line}: {}", describe(outcome, detail)));
        }
        self.refresh();
    }

    /// A line started or stopped talking to Segmind.
    pub fn in_flight(&self, delta: i64) {
        let counter = &self.counts.in_flight;
        if delta >= 0 {
            counter.fetch_add(delta.unsigned_abs(), Ordering::Relaxed);
        } else {
            counter.fetch_sub(delta.unsigned_abs(), Ordering::Relaxed);
        }
        self.refresh();
    }

    /// Prints a line above the bar.
    pub fn note(&self, text: &str) {
        self.bar.suspend(|| eprintln!("{text}"));
    }

    pub fn refresh(&self) {
        if !self.plain {
            self.bar.set_message(self.status());
        }
    }

    /// The one-line status: lines, rate, ETA and money.
    pub fn status(&self) -> String {
        let c = &self.counts;
        let get = Counts::get;
        let total = self.bar.length().unwrap_or(0);
        let left = total.saturating_sub(c.finished());
        let done_now = get(&c.done);
        let minutes = self.started.elapsed().as_secs_f64() / 60.0;
        let rate = if minutes > 0.0 {
            done_now as f64 / minutes
        } else {
            0.0
        };
        let mut text = format!(
            "done {} failed {} in flight {} left {left}",
            done_now + get(&c.skipped),
            get(&c.failed),
            get(&c.in_flight),
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
        text.push_str(&money_text(&self.money.snapshot()));
        text
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// The money in words.
pub fn money_text(m: &Snapshot) -> String {
    let mut text = format!(
        "spent ${:.3}, reserved ${:.3}, estimate ${:.3}",
        m.spent, m.reserved, m.estimate
    );
    if let Some(max) = m.max {
        text.push_str(&format!(" of a ${max:.2} budget"));
    }
    if let Some(credits) = m.credits_left() {
        text.push_str(&format!(", ~{credits:.3} credits left"));
    }
    text
}

fn describe(outcome: Outcome, detail: &str) -> String {
    let what = match outcome {
        Outcome::Done => "done",
        Outcome::AlreadyDone => "done earlier",
        Outcome::Failed => "failed",
        Outcome::Pending => "not finished (a rerun resumes its job)",
        Outcome::Unresolved => "unresolved",
        Outcome::OverBudget => "not submitted: over the budget",
        Outcome::NotRun => "not submitted",
    };
    if detail.is_empty() {
        what.to_owned()
    } else {
        format!("{what}: {detail}")
    }
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
        let m = Snapshot {
            max: Some(5.0),
            spent: 1.25,
            reserved: 0.1,
            credits_at_start: Some(10.0),
            spent_now: 1.0,
            estimate: 2.0,
        };
        assert_eq!(
            money_text(&m),
            "spent $1.250, reserved $0.100, estimate $2.000 of a $5.00 budget, ~9.000 credits left"
        );
    }
}
