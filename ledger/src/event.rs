//! The events a paid request goes through, as the ledger records them: one
//! record each, in the order they happened. Replaying them through
//! [`apply`](crate::state::apply) gives the state the live run had.

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::key::Key;
use crate::usd::Usd;

/// A moment on this machine's clock: milliseconds since the Unix epoch.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct At(pub u64);

impl At {
    /// Now, on this machine's clock.
    pub fn now() -> Self {
        Self::from(SystemTime::now())
    }

    /// As a `SystemTime`.
    pub fn time(self) -> SystemTime {
        SystemTime::UNIX_EPOCH
            .checked_add(Duration::from_millis(self.0))
            .unwrap_or(SystemTime::UNIX_EPOCH)
    }

    /// `self + d`, saturating.
    pub fn plus(self, d: Duration) -> Self {
        At(self
            .0
            .saturating_add(u64::try_from(d.as_millis()).unwrap_or(u64::MAX)))
    }

    /// `self − d`, stopping at the epoch.
    pub fn minus(self, d: Duration) -> Self {
        At(self
            .0
            .saturating_sub(u64::try_from(d.as_millis()).unwrap_or(u64::MAX)))
    }

    /// How long after `earlier` this is (zero when it is not after).
    pub fn since(self, earlier: At) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}

impl From<SystemTime> for At {
    fn from(time: SystemTime) -> Self {
        At(time
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0))
    }
}

/// One thing that happened to a key's request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "snake_case")]
pub enum Event {
    /// About to submit: the budget's reservation is taken and the body as
    /// it will be sent is kept (so an attempt can be reconciled and its
    /// job fetched even after its line is edited or deleted). Nothing is
    /// sent yet.
    Intent {
        #[serde(flatten)]
        /// The request it is about.
        key: Key,
        /// The endpoint's slug.
        endpoint: String,
        /// The JSON body as sent.
        body: Value,
        /// What the submission may cost.
        reserved: Usd,
        /// When, on this machine's clock.
        at: At,
    },
    /// An attempt of the POST is being sent now (recorded durably right
    /// before it): from here on Segmind may have the job.
    Sending {
        #[serde(flatten)]
        /// The request it is about.
        key: Key,
        /// When, on this machine's clock.
        at: At,
        /// When the attempt is given up: it cannot reach Segmind later.
        /// `None` when unbounded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until: Option<At>,
    },
    /// Segmind has the job: it answered with its id, or reconciliation
    /// found it in the request history.
    Accepted {
        #[serde(flatten)]
        /// The request it is about.
        key: Key,
        /// Segmind's id of the job.
        job_id: String,
        /// Whether the request history found it (its answer was lost).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        reconciled: bool,
    },
    /// The submission certainly did not reach Segmind, or Segmind refused
    /// it without billing, or the history proved it absent: the
    /// reservation goes back and the key may be submitted again.
    NotSent {
        #[serde(flatten)]
        /// The request it is about.
        key: Key,
        /// Why.
        reason: String,
    },
    /// The submission ended without a job id but may have reached Segmind
    /// (a 5xx, a timeout, a dropped connection, a cancelled call): only
    /// the request history can tell. It can no longer arrive after `at`.
    Uncertain {
        #[serde(flatten)]
        /// The request it is about.
        key: Key,
        /// Why.
        reason: String,
        /// When, on this machine's clock.
        at: At,
    },
    /// An attempt that may have been billed is given up on at the user's
    /// request: its reservation counts as spent, and the key may be
    /// submitted again.
    Abandoned {
        #[serde(flatten)]
        /// The request it is about.
        key: Key,
        /// Why.
        reason: String,
    },
    /// Segmind ran the job and it failed (not billed): the key may be
    /// submitted again.
    JobFailed {
        #[serde(flatten)]
        /// The request it is about.
        key: Key,
        /// Segmind's id of the job.
        job_id: String,
        /// What went wrong.
        error: String,
    },
    /// The image is stored (synced to disk, or wherever the caller keeps
    /// it) and the job's cost settled.
    Done {
        #[serde(flatten)]
        /// The request it is about.
        key: Key,
        /// Segmind's id of the job.
        job_id: String,
        /// Segmind's figure, or the reservation when it reported none.
        cost: Usd,
        /// Whether `cost` is Segmind's figure.
        #[serde(default)]
        reported: bool,
        /// Where the image is (a file name in the output folder, or the
        /// caller's own location).
        file: String,
        /// Where Segmind serves the output, to fetch it again while it lives.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        output_url: Option<String>,
    },
    /// The job was billed but its image can no longer be fetched (the
    /// result expired and the history has no output). Final.
    Lost {
        #[serde(flatten)]
        /// The request it is about.
        key: Key,
        /// Segmind's id of the job.
        job_id: String,
        /// What went wrong.
        error: String,
        /// What the job cost.
        cost: Usd,
    },
    /// Something failed after the job id was known (a poll, the download,
    /// a full disk): the job is followed again later, never resubmitted.
    Trouble {
        #[serde(flatten)]
        /// The request it is about.
        key: Key,
        /// Segmind's id of the job.
        job_id: String,
        /// What went wrong.
        error: String,
    },
    /// The key's stored image moved (out of the way of another request
    /// of the same line, or back).
    Moved {
        #[serde(flatten)]
        /// The request it is about.
        key: Key,
        /// Where its image is.
        file: String,
    },
}

impl Event {
    /// The key the event is about.
    pub fn key(&self) -> &Key {
        match self {
            Event::Intent { key, .. }
            | Event::Sending { key, .. }
            | Event::Accepted { key, .. }
            | Event::NotSent { key, .. }
            | Event::Uncertain { key, .. }
            | Event::Abandoned { key, .. }
            | Event::JobFailed { key, .. }
            | Event::Done { key, .. }
            | Event::Lost { key, .. }
            | Event::Trouble { key, .. }
            | Event::Moved { key, .. } => key,
        }
    }

    /// The job the event names, if any.
    pub fn job_id(&self) -> Option<&str> {
        match self {
            Event::Accepted { job_id, .. }
            | Event::JobFailed { job_id, .. }
            | Event::Done { job_id, .. }
            | Event::Lost { job_id, .. }
            | Event::Trouble { job_id, .. } => Some(job_id),
            _ => None,
        }
    }

    /// Whether the event must be on disk before the caller goes on: all
    /// but an intent, which rides on the sync of the attempt that follows
    /// it (nothing is sent before that attempt's record is synced), and
    /// a trouble note, which changes nothing.
    pub fn must_sync(&self) -> bool {
        !matches!(self, Event::Intent { .. } | Event::Trouble { .. })
    }
}
