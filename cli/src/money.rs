//! The batch's money: what it has spent, what it has reserved for jobs not
//! yet ended, the budget it may not pass, and the credits it started with.
//! Each submission reserves the endpoint's documented price (the top of a
//! range) before it is sent; the reservation becomes the cost Segmind
//! reports when the job ends, or is released when nothing was billed.

use std::sync::Mutex;

use segmind_ideogram::{ENDPOINTS, EndpointInfo};

/// Sums of money below this are equal: prices have four decimals.
const EPSILON: f64 = 1e-9;

/// What one submission to `info` may cost: its documented price, the top
/// of a range; where the spec documents none, the highest any endpoint
/// documents.
pub fn reservation(info: &EndpointInfo) -> f64 {
    info.price_usd.map(|p| p.max_usd).unwrap_or_else(|| {
        ENDPOINTS
            .iter()
            .filter_map(|e| e.price_usd.map(|p| p.max_usd))
            .fold(0.0, f64::max)
    })
}

#[derive(Debug, Default)]
pub struct Money {
    state: Mutex<Snapshot>,
}

/// The money at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Snapshot {
    /// The budget (`--max-spend`), across reruns.
    pub max: Option<f64>,
    /// Spent by finished jobs, earlier runs included.
    pub spent: f64,
    /// Reserved by jobs not yet ended.
    pub reserved: f64,
    /// The account's credits when the batch started.
    pub credits_at_start: Option<f64>,
    /// Spent in this run (for the credits left).
    pub spent_now: f64,
    /// The estimate of what this run may still commit.
    pub estimate: f64,
}

impl Snapshot {
    /// Credits left: the start's, less what this run spent.
    pub fn credits_left(&self) -> Option<f64> {
        self.credits_at_start.map(|c| (c - self.spent_now).max(0.0))
    }
}

impl Money {
    pub fn new(max: Option<f64>, spent_before: f64) -> Self {
        Self {
            state: Mutex::new(Snapshot {
                max,
                spent: spent_before,
                ..Snapshot::default()
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Snapshot> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn set_credits(&self, credits: f64) {
        self.lock().credits_at_start = Some(credits);
    }

    pub fn set_estimate(&self, estimate: f64) {
        self.lock().estimate = estimate;
    }

    /// Reserves `usd` if the budget allows it.
    pub fn try_reserve(&self, usd: f64) -> bool {
        let mut s = self.lock();
        if s.max
            .is_some_and(|max| s.spent + s.reserved + usd > max + EPSILON)
        {
            return false;
        }
        s.reserved += usd;
        s.estimate = (s.estimate - usd).max(0.0);
        true
    }

    /// Reserves `usd` whatever the budget: a job Segmind already has.
    pub fn hold(&self, usd: f64) {
        self.lock().reserved += usd;
    }

    /// A job ended: its reservation becomes its cost (the reservation
    /// itself when Segmind reported none), which is returned.
    pub fn settle(&self, reserved: f64, cost: Option<f64>) -> f64 {
        let mut s = self.lock();
        let cost = cost
            .filter(|c| c.is_finite() && *c >= 0.0)
            .unwrap_or(reserved);
        s.reserved = (s.reserved - reserved).max(0.0);
        s.spent += cost;
        s.spent_now += cost;
        cost
    }

    /// Nothing was billed: the reservation goes back.
    pub fn release(&self, reserved: f64) {
        let mut s = self.lock();
        s.reserved = (s.reserved - reserved).max(0.0);
    }

    /// What the budget still allows: `--max-spend` less what is spent and
    /// reserved (`None` without a budget).
    pub fn room(&self) -> Option<f64> {
        let s = self.lock();
        s.max.map(|max| (max - s.spent - s.reserved).max(0.0))
    }

    pub fn snapshot(&self) -> Snapshot {
        *self.lock()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_counts_spent_and_reserved_money() {
        let money = Money::new(Some(0.3), 0.05);
        assert!(money.try_reserve(0.1));
        assert!(money.try_reserve(0.1));
        assert!(!money.try_reserve(0.1), "0.05 + 0.2 + 0.1 > 0.3");
        money.settle(0.1, Some(0.04));
        assert!(
            money.try_reserve(0.1),
            "the real cost freed some: 0.09 + 0.2"
        );
        money.release(0.1);
        let s = money.snapshot();
        assert!((s.spent - 0.09).abs() < 1e-12, "{s:?}");
        assert!((s.reserved - 0.1).abs() < 1e-12, "{s:?}");
        // A job that reported no cost keeps its reservation as its cost.
        money.settle(0.1, None);
        let s = money.snapshot();
        assert!((s.spent - 0.19).abs() < 1e-12, "{s:?}");
        assert!(s.reserved.abs() < 1e-12, "{s:?}");
        assert!((money.room().unwrap() - 0.11).abs() < 1e-12);
        assert_eq!(Money::new(None, 1.0).room(), None);
    }

    #[test]
    fn undocumented_prices_reserve_the_highest_documented() {
        let highest = ENDPOINTS
            .iter()
            .filter_map(|e| e.price_usd.map(|p| p.max_usd))
            .fold(0.0, f64::max);
        assert!(highest > 0.0);
        for info in ENDPOINTS {
            let reserve = reservation(info);
            match info.price_usd {
                Some(p) => assert_eq!(reserve, p.max_usd),
                None => assert_eq!(reserve, highest),
            }
        }
    }
}
