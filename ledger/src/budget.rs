//! What a submission reserves, and whether the budget lets it start.
//!
//! A reservation is the endpoint's documented price (the top of a range),
//! never below the highest cost Segmind has reported for it. Prices can
//! lie: until an endpoint's cost is proven (a job of it finished, costing
//! no more than was reserved for it), its jobs go one at a time under a
//! budget, and only while no other unproven job is in flight, so a budget
//! is never passed by more than one job's real cost.

use segmind_ideogram::{ENDPOINTS, EndpointInfo};

use crate::book::Book;
use crate::usd::Usd;

/// Why a submission may not start now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Hold {
    /// The budget would be passed.
    #[error("it would reserve {need} and the budget has {room} left")]
    OverBudget {
        /// What the submission would reserve.
        need: Usd,
        /// What is left of the budget.
        room: Usd,
    },
    /// What the endpoint costs is not known yet, and a job whose cost is
    /// not known either is in flight: wait for it to end.
    #[error(
        "what {endpoint} costs is not known yet: one of its jobs at a time until one ends within its reservation"
    )]
    AwaitingCost {
        /// The endpoint's slug.
        endpoint: String,
    },
}

/// The spending rules of a ledger.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Budget {
    /// The most the ledger may commit, across runs; `None`: no limit.
    pub max: Option<Usd>,
}

impl Budget {
    /// No limit.
    pub fn unlimited() -> Self {
        Self { max: None }
    }

    /// At most `max`.
    pub fn at_most(max: Usd) -> Self {
        Self { max: Some(max) }
    }

    /// What is left of the budget (`None` without one).
    pub fn room(&self, book: &Book) -> Option<Usd> {
        self.max
            .map(|max| max.saturating_sub(book.spent() + book.reserved()))
    }

    /// What a submission to `endpoint` reserves, and `Ok` when it may start.
    pub fn admit(&self, book: &Book, endpoint: &str) -> Result<Usd, Hold> {
        let need = reservation(book, endpoint);
        let Some(room) = self.room(book) else {
            return Ok(need);
        };
        if need > room {
            return Err(Hold::OverBudget { need, room });
        }
        if unproven(&book.costs(endpoint))
            && book
                .endpoints()
                .any(|(_, c)| unproven(c) && c.in_flight > 0)
        {
            return Err(Hold::AwaitingCost {
                endpoint: endpoint.to_owned(),
            });
        }
        Ok(need)
    }
}

/// Whether an endpoint's reservation is still a guess: none of its jobs
/// finished, or the latest cost more than was reserved for it.
fn unproven(costs: &crate::book::EndpointCosts) -> bool {
    costs.finished == 0 || costs.surprised
}

/// What one submission to `endpoint` may cost: its documented price, the
/// top of a range (for an endpoint without one, the highest any endpoint
/// documents), or the highest cost Segmind reported for it, whichever is
/// more.
pub fn reservation(book: &Book, endpoint: &str) -> Usd {
    let documented = documented_price(endpoint).unwrap_or_else(highest_documented_price);
    documented.max(book.costs(endpoint).highest_reported.unwrap_or(Usd::ZERO))
}

/// The top of `endpoint`'s documented price.
pub fn documented_price(endpoint: &str) -> Option<Usd> {
    info(endpoint)
        .and_then(|info| info.price_usd)
        .and_then(|price| Usd::from_dollars(price.max_usd))
}

/// The highest price any endpoint of the registry documents.
pub fn highest_documented_price() -> Usd {
    ENDPOINTS
        .iter()
        .filter_map(|e| e.price_usd)
        .filter_map(|p| Usd::from_dollars(p.max_usd))
        .max()
        .unwrap_or(Usd::ZERO)
}

fn info(endpoint: &str) -> Option<&'static EndpointInfo> {
    ENDPOINTS.iter().copied().find(|e| e.slug == endpoint)
}
