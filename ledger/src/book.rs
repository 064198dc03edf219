//! Every key's state, and what follows from them: the money spent and
//! reserved, what each endpoint has been seen to cost, and every job id
//! ever named. Nothing here is kept beside the states: each figure is
//! updated by the difference an applied event made, in whole micro-dollars,
//! so it equals the sum over the states at every moment.

use hashbrown::{HashMap, HashSet};

use crate::compact::Slug;
use crate::event::Event;
use crate::key::{Key, fnv1a};
use crate::state::{self, LineState, Phase, Refusal};
use crate::usd::Usd;

/// What the ledger has seen an endpoint cost.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndpointCosts {
    /// The highest cost Segmind reported for one of its jobs.
    pub highest_reported: Option<Usd>,
    /// Jobs that ended done or lost.
    pub finished: u64,
    /// Whether the latest finished job cost more than was reserved for it:
    /// the reservation was a guess, and the next one is too.
    pub surprised: bool,
    /// Keys with an attempt or a job of this endpoint not yet ended.
    pub in_flight: u64,
}

/// A paid job the records name for a key whose state holds another (two
/// jobs for one key, from a damaged or hand-edited ledger): it is fetched
/// all the same.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Stray {
    /// The request it is about.
    pub key: Key,
    /// Segmind's id of the job.
    pub job_id: String,
    /// The endpoint.
    pub endpoint: Option<Slug>,
}

/// Every job id the records name, kept as hashes (a million of them fit in
/// a few megabytes). A hash shared by two ids would make one look owned:
/// the history's verdict for it would be "unknown", never "found" or
/// "absent" wrongly.
#[derive(Debug, Clone, Default)]
pub struct Claims(HashSet<u64>);

impl Claims {
    fn hash(job_id: &str) -> u64 {
        fnv1a(&[b"job:", job_id.as_bytes()])
    }

    /// Adds `job_id`.
    pub fn insert(&mut self, job_id: &str) {
        self.0.insert(Self::hash(job_id));
    }

    /// Whether some key has (or had) `job_id`.
    pub fn contains(&self, job_id: &str) -> bool {
        self.0.contains(&Self::hash(job_id))
    }

    /// How many ids are claimed.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The folded states.
#[derive(Debug, Default)]
pub struct Book {
    states: HashMap<Key, LineState>,
    spent: Usd,
    reserved: Usd,
    endpoints: HashMap<Slug, EndpointCosts>,
    claimed: Claims,
    strays: Vec<Stray>,
    refused: usize,
}

impl Book {
    /// The book the events leave, in order. An event a state refuses
    /// changes nothing (it is counted in [`refused`](Self::refused)), but
    /// a job id it names is never forgotten: it becomes a [`Stray`].
    pub fn replay<'a>(events: impl IntoIterator<Item = &'a Event>) -> Self {
        let mut book = Book::default();
        for event in events {
            let _ = book.apply(event);
        }
        book
    }

    /// Applies `event` to its key's state, as [`state::apply`] does, and
    /// updates what follows from the states.
    pub fn apply(&mut self, event: &Event) -> Result<(), Refusal> {
        if let Some(job) = event.job_id() {
            // Claimed even when refused: no other key may be given it.
            self.claimed.insert(job);
        }
        let key = event.key();
        let state = match self.states.get_mut(key) {
            Some(state) => state,
            None => self.states.entry(key.clone()).or_default(),
        };
        let before = Summary::of(state);
        let reserved_for_job = match &state.phase {
            Phase::Accepted { reserved, .. } => Some(*reserved),
            _ => None,
        };
        let refetch = matches!(state.phase, Phase::Done { .. } | Phase::Lost { .. });
        if let Err(refusal) = state::apply(state, event) {
            self.refused += 1;
            if let Some(job) = event.job_id()
                && !state.job_id().is_some_and(|mine| mine.is(job))
                && !self.strays.iter().any(|s| s.job_id == job)
            {
                self.strays.push(Stray {
                    key: key.clone(),
                    job_id: job.to_owned(),
                    endpoint: state.endpoint(),
                });
            }
            if matches!(state.phase, Phase::Fresh) && state.extra.is_none() {
                self.states.remove(key);
            }
            return Err(refusal);
        }
        let after = Summary::of(state);
        self.spent = self.spent.saturating_sub(before.spent) + after.spent;
        self.reserved = self.reserved.saturating_sub(before.reserved) + after.reserved;
        if before.in_flight
            && let Some(endpoint) = &before.endpoint
        {
            let costs = self.endpoints.entry(*endpoint).or_default();
            costs.in_flight = costs.in_flight.saturating_sub(1);
        }
        if after.in_flight
            && let Some(endpoint) = &after.endpoint
        {
            self.endpoints.entry(*endpoint).or_default().in_flight += 1;
        }
        if let (Some(endpoint), false) = (&after.endpoint, refetch) {
            let costs = self.endpoints.entry(*endpoint).or_default();
            match event {
                Event::Done { cost, reported, .. } => {
                    costs.finished += 1;
                    if *reported {
                        costs.highest_reported = costs.highest_reported.max(Some(*cost));
                    }
                    costs.surprised = *reported && reserved_for_job.is_some_and(|r| *cost > r);
                }
                Event::Lost { .. } => costs.finished += 1,
                _ => {}
            }
        }
        Ok(())
    }

    /// The state of `key`, if the ledger has one.
    pub fn get(&self, key: &Key) -> Option<&LineState> {
        self.states.get(key)
    }

    /// Every key and its state, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&Key, &LineState)> {
        self.states.iter()
    }

    /// Keys the ledger has a state for.
    pub fn len(&self) -> usize {
        self.states.len()
    }

    /// Whether the ledger has no key.
    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }

    /// Money spent: jobs done or lost, and attempts given up on.
    pub fn spent(&self) -> Usd {
        self.spent
    }

    /// Money held for attempts and jobs not yet ended.
    pub fn reserved(&self) -> Usd {
        self.reserved
    }

    /// What the ledger has seen `endpoint` cost.
    pub fn costs(&self, endpoint: &str) -> EndpointCosts {
        self.endpoints
            .get(&Slug::of(endpoint))
            .cloned()
            .unwrap_or_default()
    }

    /// Every endpoint the ledger has seen, with its costs.
    pub fn endpoints(&self) -> impl Iterator<Item = (&str, &EndpointCosts)> {
        self.endpoints.iter().map(|(e, c)| (e.as_str(), c))
    }

    /// Whether some key has (or had) this job.
    pub fn is_claimed(&self, job_id: &str) -> bool {
        self.claimed.contains(job_id)
    }

    /// Every job id the records name.
    pub fn claimed(&self) -> &Claims {
        &self.claimed
    }

    /// Paid jobs named for a key that holds another.
    pub fn strays(&self) -> &[Stray] {
        &self.strays
    }

    /// Events the states refused.
    pub fn refused(&self) -> usize {
        self.refused
    }
}

/// What one state contributes to the totals.
struct Summary {
    spent: Usd,
    reserved: Usd,
    in_flight: bool,
    endpoint: Option<Slug>,
}

impl Summary {
    fn of(state: &LineState) -> Self {
        Self {
            spent: state.spent(),
            reserved: state.reserved(),
            in_flight: state.in_flight(),
            endpoint: state.endpoint(),
        }
    }
}
