//! The log of accepted requests that tests inspect, bounded by entries and
//! by bytes: each entry holds a whole request body, and one body can be a
//! 10 MB base64 image.

use std::collections::VecDeque;
use std::mem::size_of;

use serde_json::Value;

use crate::key::KeyFingerprint;

/// Whether a request was a sync call or a queued job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `POST /v1/{slug}`.
    Sync,
    /// `POST /v2/{slug}`.
    Queued,
}

/// A request the server accepted (valid, authorised, not faulted).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Accepted {
    /// The endpoint.
    pub slug: String,
    /// Sync or queued.
    pub mode: Mode,
    /// The request's id (the job id for queued calls).
    pub request_id: String,
    /// The JSON body as received.
    pub body: Value,
    /// The client's `User-Agent`, if it sent one.
    pub user_agent: Option<String>,
    /// Who sent it: the fingerprint of its API key, never the key.
    pub key: KeyFingerprint,
    /// When it was accepted.
    pub at: std::time::SystemTime,
}

/// The most accepted requests remembered; older ones are dropped so a
/// long-running `ideogram mock serve` does not grow without bound.
pub(crate) const ACCEPTED_LOG_ENTRIES: usize = 100_000;

/// The default cap on the log's total size.
pub(crate) const ACCEPTED_LOG_BYTES: usize = 64 * 1024 * 1024;

/// Accepted requests, oldest first, within both caps; the counters count
/// every request ever accepted.
pub(crate) struct AcceptedLog {
    entries: VecDeque<(Accepted, usize)>,
    bytes: usize,
    max_bytes: usize,
    pub sync_calls: u64,
    pub jobs_submitted: u64,
}

impl AcceptedLog {
    pub fn new(max_bytes: usize) -> Self {
        Self {
            entries: VecDeque::new(),
            bytes: 0,
            max_bytes,
            sync_calls: 0,
            jobs_submitted: 0,
        }
    }

    /// Counts `accepted` and keeps it, dropping the oldest entries until
    /// both caps hold again. The newest entry is always kept, even alone
    /// over the byte cap, so a test can see the request it just made.
    pub fn push(&mut self, accepted: Accepted) {
        match accepted.mode {
            Mode::Sync => self.sync_calls += 1,
            Mode::Queued => self.jobs_submitted += 1,
        }
        let size = footprint(&accepted);
        self.entries.push_back((accepted, size));
        self.bytes += size;
        while self.entries.len() > 1
            && (self.entries.len() > ACCEPTED_LOG_ENTRIES || self.bytes > self.max_bytes)
        {
            if let Some((_, size)) = self.entries.pop_front() {
                self.bytes -= size;
            }
        }
    }

    pub fn entries(&self) -> Vec<Accepted> {
        self.entries.iter().map(|(a, _)| a.clone()).collect()
    }
}

/// Roughly the memory an entry holds: its strings and one `Value` per JSON
/// node. Exact enough for a cap whose job is to stop unbounded growth.
fn footprint(accepted: &Accepted) -> usize {
    let strings = accepted.slug.len()
        + accepted.request_id.len()
        + accepted.user_agent.as_ref().map_or(0, String::len);
    let mut total = size_of::<Accepted>() + strings;
    // A stack rather than recursion: a body's depth is the client's choice.
    let mut stack = vec![&accepted.body];
    while let Some(value) = stack.pop() {
        total += size_of::<Value>();
        match value {
            Value::String(s) => total += s.len(),
            Value::Array(items) => stack.extend(items),
            Value::Object(members) => {
                for (name, value) in members {
                    total += name.len();
                    stack.push(value);
                }
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepted(mode: Mode, n: usize, body: Value) -> Accepted {
        Accepted {
            slug: "ideogram-txt-2-img".into(),
            mode,
            request_id: n.to_string(),
            body,
            user_agent: None,
            key: KeyFingerprint::of("k"),
            at: std::time::SystemTime::now(),
        }
    }

    fn mode(n: usize) -> Mode {
        if n.is_multiple_of(2) {
            Mode::Sync
        } else {
            Mode::Queued
        }
    }

    #[test]
    fn the_log_is_bounded_by_entries_but_the_counts_are_not() {
        let mut log = AcceptedLog::new(usize::MAX);
        for n in 0..ACCEPTED_LOG_ENTRIES + 5 {
            log.push(accepted(mode(n), n, Value::Null));
        }
        let entries = log.entries();
        assert_eq!(entries.len(), ACCEPTED_LOG_ENTRIES);
        assert_eq!(entries[0].request_id, "5", "the oldest entries go first");
        assert_eq!(
            log.sync_calls + log.jobs_submitted,
            (ACCEPTED_LOG_ENTRIES + 5) as u64
        );
    }

    #[test]
    fn the_log_is_bounded_by_bytes_but_the_counts_are_not() {
        const MIB: usize = 1024 * 1024;
        let image = |n: usize| serde_json::json!({"prompt": "p", "image_file": "A".repeat(n)});
        let mut log = AcceptedLog::new(16 * MIB);
        for n in 0..40 {
            log.push(accepted(mode(n), n, image(MIB)));
        }
        let entries = log.entries();
        assert_eq!(
            entries.len(),
            15,
            "sixteen 1 MiB bodies and their overhead pass 16 MiB"
        );
        assert_eq!(entries[0].request_id, "25", "the oldest entries go first");
        assert!(
            log.bytes <= 16 * MIB && log.bytes > 15 * MIB,
            "{}",
            log.bytes
        );
        assert_eq!(log.sync_calls + log.jobs_submitted, 40);

        // One body bigger than the whole cap is still kept, alone.
        log.push(accepted(Mode::Sync, 40, image(20 * MIB)));
        let entries = log.entries();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].request_id, "40");
        log.push(accepted(Mode::Sync, 41, Value::Null));
        assert_eq!(log.entries().len(), 1, "and dropped by the next one");
        assert_eq!(log.sync_calls + log.jobs_submitted, 42);
    }
}
