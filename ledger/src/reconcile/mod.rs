//! What became of submissions whose job ids were never recorded: a pure
//! function of the history rows read, the attempts, and the clocks.
//!
//! - **Found** a job only when it is the attempt's own beyond doubt: a row
//!   of the endpoint (by Segmind's substring rule), whose body records what
//!   was sent, created while the attempt could reach Segmind (on our
//!   clock, with the measured offset and a missing zone as slack), owned
//!   by no other key, and either the only such row or clearly the first
//!   after the attempt was sent.
//! - **Absent** only on proof: the read of every window was whole (see
//!   [`evidence`]), no unclaimed row that could be the attempt's (same or
//!   unnamed model, any body; or any model with the body sent) was created
//!   while it could arrive, and the history has had its grace to show it.
//! - **Unknown** otherwise, with the reason; **too soon** while the grace
//!   runs.

pub mod clock;
pub mod evidence;
pub mod matching;

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use segmind_ideogram::RequestRecord;
use serde_json::Value;

use crate::book::Claims;
use crate::event::At;
use crate::key::Key;
use clock::{Stamp, on_our_clock, stamp, zone_of_zoneless};
use evidence::Evidence;
use matching::{Likeness, Model, likeness, model};

/// A submission that may have reached Segmind with no job id recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    /// The request it is about.
    pub key: Key,
    /// The endpoint's slug.
    pub endpoint: String,
    /// The body as sent.
    pub body: Value,
    /// When its first attempt was sent (our clock): its job is not older.
    pub first_sent: At,
    /// The last moment it could have reached Segmind (our clock).
    pub reach_by: At,
}

/// What the history says of an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Segmind has it: this job.
    Found {
        /// Segmind's id of the job.
        job_id: String,
    },
    /// Segmind certainly does not have it: it may be submitted again.
    Absent,
    /// The history may not show it yet: ask again once the grace is over.
    TooSoon,
    /// It cannot be told; why.
    Unknown {
        /// Why.
        reason: String,
    },
}

/// The widest a candidate's time may be: one that may have been created
/// hours apart from the attempt cannot be told from another run's job.
const PLACED_WITHIN_MS: i64 = 3_600_000;

/// A row as the decision sees it.
struct Row<'a> {
    id: Option<&'a str>,
    record: &'a RequestRecord,
    /// When it was created, on our clock (`None`: unknown, any time).
    created: Option<(i64, i64)>,
}

impl Row<'_> {
    /// Whether it may have been created while `attempt` could arrive.
    fn in_window(&self, attempt: &Attempt) -> bool {
        self.created.is_none_or(|(low, high)| {
            high >= attempt.first_sent.0 as i64 && low <= attempt.reach_by.0 as i64
        })
    }

    fn likeness(&self, attempt: &Attempt) -> Likeness {
        likeness(self.record.request_body.as_ref(), &attempt.body)
    }

    fn model(&self, attempt: &Attempt) -> Model {
        model(self.record.model_name.as_deref(), &attempt.endpoint)
    }

    /// A row that may well be `attempt`'s job: its endpoint, a body that
    /// records the one sent (wholly, or partly with nothing conflicting),
    /// created while it could arrive.
    fn candidate(&self, attempt: &Attempt) -> bool {
        // A row of unknown (or hours-wide) time cannot be placed after the
        // attempt was sent.
        self.id.is_some()
            && self
                .created
                .is_some_and(|(low, high)| high - low <= PLACED_WITHIN_MS)
            && self.model(attempt) == Model::Same
            && matches!(self.likeness(attempt), Likeness::Whole | Likeness::Partial)
            && self.in_window(attempt)
    }

    /// A row that may be `attempt`'s job recorded in a way that cannot be
    /// matched: it forbids "absent".
    fn may_be(&self, attempt: &Attempt) -> bool {
        if !self.in_window(attempt) {
            return false;
        }
        match self.model(attempt) {
            Model::Same | Model::Unknown => true,
            // A renamed model still records the body sent.
            Model::Other => self.likeness(attempt) == Likeness::Whole,
        }
    }
}

/// A verdict for each attempt, in order.
///
/// `claimed` are the jobs keys already own (no attempt is given one);
/// `grace` is how long rows may take to land in the history.
pub fn decide(
    attempts: &[Attempt],
    evidence: &Evidence,
    claimed: &Claims,
    grace: Duration,
) -> Vec<Verdict> {
    let offset = evidence.offset;
    let read = evidence.rows();
    let stamps: Vec<Option<Stamp>> = read
        .iter()
        .map(|record| record.created_at.as_ref().and_then(stamp))
        .collect();
    let zone = zone_of_zoneless(&zoneless_pairs(attempts, &read, &stamps, claimed), offset);
    let rows: Vec<Row> = read
        .iter()
        .zip(&stamps)
        .map(|(record, stamp)| Row {
            id: record
                .request_id
                .as_deref()
                .filter(|id| !id.trim().is_empty()),
            record,
            created: on_our_clock(*stamp, offset, zone),
        })
        .collect();
    let whole = evidence.whole();
    let mut verdicts: Vec<Option<Verdict>> = vec![None; attempts.len()];
    // Jobs keys own, and jobs given to attempts in this decision.
    let mut given: HashSet<&str> = HashSet::new();
    let taken = |given: &HashSet<&str>, id: &str| claimed.contains(id) || given.contains(id);

    // Rows land late: until the grace is over for an attempt, no verdict.
    // A row that lands after the read started may be missing from a page
    // read before it, so the grace counts to the start of the read.
    for (i, attempt) in attempts.iter().enumerate() {
        if evidence.started.since(attempt.reach_by) < grace {
            verdicts[i] = Some(Verdict::TooSoon);
        }
    }

    // Attempts with the same endpoint and body can take each other's rows:
    // they are matched together, in the order they were sent.
    let mut groups: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (i, attempt) in attempts.iter().enumerate() {
        if verdicts[i].is_none() {
            groups
                .entry((attempt.endpoint.clone(), attempt.body.to_string()))
                .or_default()
                .push(i);
        }
    }
    for members in groups.values_mut() {
        // Earliest deadline first, each taking the earliest row it can:
        // as many attempts as possible get a row (when several attempts
        // of one request were sent, every job that exists is found).
        members.sort_by_key(|&i| (attempts[i].reach_by, attempts[i].first_sent, i));
        let mut candidates: Vec<&Row> = rows
            .iter()
            .filter(|row| row.id.is_some_and(|id| !taken(&given, id)))
            .filter(|row| members.iter().any(|&i| row.candidate(&attempts[i])))
            .collect();
        candidates.sort_by_key(|row| row.created.map_or(i64::MIN, |(low, _)| low));
        let more_rows_than_attempts = candidates.len() > members.len();
        for &i in members.iter() {
            let attempt = &attempts[i];
            let mine: Vec<&&Row> = candidates
                .iter()
                .filter(|row| row.id.is_some_and(|id| !taken(&given, id)))
                .filter(|row| row.candidate(attempt))
                .collect();
            let Some(first) = mine.first() else {
                continue;
            };
            // When every candidate can be one of these attempts' jobs, the
            // attempts (one request, sent several times) take them in
            // order. Otherwise some job is not ours: the first after the
            // attempt is ours only if it was clearly created before the next.
            let told_apart = !more_rows_than_attempts
                || mine.get(1).is_none_or(|next| {
                    matches!((first.created, next.created), (Some((_, high)), Some((low, _))) if high < low)
                });
            if !told_apart {
                verdicts[i] = Some(Verdict::Unknown {
                    reason: format!(
                        "{} jobs in Segmind's request history match it and cannot be told apart",
                        mine.len()
                    ),
                });
                continue;
            }
            let id = first.id.unwrap_or_default();
            given.insert(id);
            verdicts[i] = Some(Verdict::Found {
                job_id: id.to_owned(),
            });
        }
    }

    // What is left was not found: absent only on proof.
    attempts
        .iter()
        .zip(verdicts)
        .map(|(attempt, verdict)| {
            if let Some(verdict) = verdict {
                return verdict;
            }
            if let Err(reason) = &whole {
                return Verdict::Unknown {
                    reason: reason.clone(),
                };
            }
            if !covered(evidence, attempt) {
                return Verdict::Unknown {
                    reason: "the request history was not read for the days it was sent".into(),
                };
            }
            let doubt = rows
                .iter()
                .filter(|row| row.id.is_none_or(|id| !taken(&given, id)))
                .find(|row| row.may_be(attempt));
            match doubt {
                Some(row) => Verdict::Unknown {
                    reason: doubt_reason(row, attempt),
                },
                None => Verdict::Absent,
            }
        })
        .collect()
}

/// Rows without a zone that record an attempt's whole body, on its
/// endpoint, owned by no key: what the zone is told from.
fn zoneless_pairs(
    attempts: &[Attempt],
    read: &[&RequestRecord],
    stamps: &[Option<Stamp>],
    claimed: &Claims,
) -> Vec<(usize, i64, At, At)> {
    let mut pairs = Vec::new();
    for (record, stamp) in read.iter().zip(stamps) {
        let Some(stamp) = stamp.filter(|s| !s.zoned) else {
            continue;
        };
        if record
            .request_id
            .as_ref()
            .is_none_or(|id| claimed.contains(id))
        {
            continue;
        }
        for (i, attempt) in attempts.iter().enumerate() {
            if model(record.model_name.as_deref(), &attempt.endpoint) == Model::Same
                && likeness(record.request_body.as_ref(), &attempt.body) == Likeness::Whole
            {
                pairs.push((i, stamp.ms, attempt.first_sent, attempt.reach_by));
            }
        }
    }
    pairs
}

/// Whether the days read cover the attempt's window on Segmind's clock,
/// whatever zone its days are in.
fn covered(evidence: &Evidence, attempt: &Attempt) -> bool {
    let slack = Duration::from_millis(evidence.offset.uncertainty_ms.unsigned_abs())
        + Duration::from_millis(evidence.offset.offset_ms.unsigned_abs())
        + clock::ZONE_UNCERTAINTY;
    let from = attempt.first_sent.minus(slack);
    let to = attempt.reach_by.plus(slack);
    let (Some(start), Some(end)) = (
        evidence.windows.iter().map(|w| w.from).min(),
        evidence.windows.iter().map(|w| w.to).max(),
    ) else {
        return false;
    };
    start <= from && to <= end
}

fn doubt_reason(row: &Row, attempt: &Attempt) -> String {
    let what = match (row.id, row.model(attempt), row.likeness(attempt)) {
        (None, _, _) => "a row without a job id".to_owned(),
        (_, Model::Unknown, _) => "a row without a model name".to_owned(),
        (_, _, Likeness::Unreadable) => "a row whose request body cannot be read".to_owned(),
        (Some(id), Model::Other, _) => format!("job {id} of another model name with the same body"),
        (Some(id), _, _) => format!("job {id}, recorded with a different body"),
    };
    format!(
        "Segmind's request history holds {what} from the time it was sent, owned by no line; it \
         may be this submission recorded differently"
    )
}

#[cfg(test)]
mod tests;
