//! The batch's write-ahead spend journal: one JSON record per line, each
//! appended and synced before the batch moves on. Before a submission, the
//! intent to submit; as soon as Segmind answers, the job id; then the
//! outcome and the cost. What is recorded is never lost: a torn last
//! record (a kill in the middle of a write) is cut off on open, before
//! anything else is appended, so it cannot swallow the next record.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

/// The journal's name in the output folder.
pub const JOURNAL: &str = "journal.jsonl";

/// One record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "snake_case")]
pub enum Record {
    /// About to submit the line (written and synced before the POST).
    Intent {
        line: String,
        fingerprint: String,
        endpoint: String,
        /// Unix time in seconds.
        at: f64,
        /// What the submission may cost, reserved against the budget.
        reserved_usd: f64,
    },
    /// Segmind answered with a job id (or reconciliation found it).
    Submitted {
        line: String,
        fingerprint: String,
        request_id: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        reconciled: bool,
    },
    /// The submission certainly did not reach Segmind, or Segmind refused
    /// it without billing (a 4xx): the line may be submitted again.
    NotSent {
        line: String,
        fingerprint: String,
        reason: String,
    },
    /// The image is saved.
    Done {
        line: String,
        fingerprint: String,
        request_id: String,
        file: String,
        cost_usd: Option<f64>,
    },
    /// Segmind ran the job and it failed (not billed): the line may be
    /// submitted again.
    JobFailed {
        line: String,
        fingerprint: String,
        request_id: String,
        error: String,
    },
    /// Something went wrong after the job id was known (a poll, the
    /// download, a full disk); the job is resumed next time, never resubmitted.
    Trouble {
        line: String,
        fingerprint: String,
        request_id: String,
        error: String,
    },
}

impl Record {
    pub fn line(&self) -> &str {
        match self {
            Record::Intent { line, .. }
            | Record::Submitted { line, .. }
            | Record::NotSent { line, .. }
            | Record::Done { line, .. }
            | Record::JobFailed { line, .. }
            | Record::Trouble { line, .. } => line,
        }
    }

    pub fn fingerprint(&self) -> &str {
        match self {
            Record::Intent { fingerprint, .. }
            | Record::Submitted { fingerprint, .. }
            | Record::NotSent { fingerprint, .. }
            | Record::Done { fingerprint, .. }
            | Record::JobFailed { fingerprint, .. }
            | Record::Trouble { fingerprint, .. } => fingerprint,
        }
    }
}

/// What the journal says of a line, folded from its records in order.
#[derive(Debug, Clone, PartialEq)]
pub enum LineState {
    /// Never submitted, or submitted without effect: submit it.
    Fresh,
    /// An intent with no answer recorded: it may have reached Segmind.
    Dangling { at: SystemTime, reserved_usd: f64 },
    /// Segmind has the job: follow it.
    Submitted {
        request_id: String,
        reserved_usd: f64,
    },
    /// Finished.
    Done { cost_usd: Option<f64> },
}

/// The journal file, open for appending.
pub struct Journal {
    path: PathBuf,
    file: Mutex<File>,
    records: Vec<Record>,
    /// Lines that were not records (and not a torn tail), kept and skipped.
    skipped: usize,
    /// Bytes of a torn last record that were cut off on open.
    repaired: usize,
}

impl Journal {
    /// Opens (or creates) the journal in `dir`, cutting off a torn last
    /// record.
    pub fn open(dir: &Path) -> io::Result<Self> {
        let path = dir.join(JOURNAL);
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        // Every record ends with a newline, written in one go and synced;
        // text after the last newline is a write that never finished.
        let complete = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        let repaired = bytes.len() - complete;
        if repaired > 0 {
            file.set_len(complete as u64)?;
            file.sync_data()?;
            file.seek(SeekFrom::End(0))?;
        }
        let mut records = Vec::new();
        let mut skipped = 0;
        for text in bytes[..complete].split(|b| *b == b'\n') {
            if text.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match serde_json::from_slice::<Record>(text) {
                Ok(record) => records.push(record),
                Err(_) => skipped += 1,
            }
        }
        Ok(Self {
            path,
            file: Mutex::new(file),
            records,
            skipped,
            repaired,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Lines that were not records, and torn bytes cut off on open.
    pub fn damage(&self) -> (usize, usize) {
        (self.skipped, self.repaired)
    }

    /// Appends `record` and syncs it to disk before returning.
    pub fn append(&self, record: &Record) -> io::Result<()> {
        let mut text = serde_json::to_vec(record).map_err(io::Error::other)?;
        text.push(b'\n');
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        file.write_all(&text)?;
        file.sync_data()
    }

    /// The state of every line the journal knows, for the fingerprint its
    /// request has now (records about another fingerprint are an earlier
    /// version of the line, and do not count).
    pub fn states(&self, fingerprints: &HashMap<String, String>) -> HashMap<String, LineState> {
        let mut states: HashMap<String, LineState> = HashMap::new();
        for record in &self.records {
            if fingerprints.get(record.line()).map(String::as_str) != Some(record.fingerprint()) {
                continue;
            }
            let state = states
                .entry(record.line().to_owned())
                .or_insert(LineState::Fresh);
            *state = next_state(state, record);
        }
        states
    }

    /// What the journal's finished lines cost, in US dollars.
    pub fn spent_usd(&self) -> f64 {
        self.records
            .iter()
            .filter_map(|r| match r {
                Record::Done { cost_usd, .. } => *cost_usd,
                _ => None,
            })
            .sum()
    }
}

fn next_state(state: &LineState, record: &Record) -> LineState {
    match (state, record) {
        // A finished line stays finished.
        (LineState::Done { .. }, _) => state.clone(),
        (
            _,
            Record::Intent {
                at, reserved_usd, ..
            },
        ) => LineState::Dangling {
            at: unix_time(*at),
            reserved_usd: *reserved_usd,
        },
        (_, Record::Submitted { request_id, .. }) => LineState::Submitted {
            request_id: request_id.clone(),
            reserved_usd: match state {
                LineState::Dangling { reserved_usd, .. }
                | LineState::Submitted { reserved_usd, .. } => *reserved_usd,
                _ => 0.0,
            },
        },
        (_, Record::NotSent { .. } | Record::JobFailed { .. }) => LineState::Fresh,
        (_, Record::Done { cost_usd, .. }) => LineState::Done {
            cost_usd: *cost_usd,
        },
        // The job id is kept: the line is followed again next time.
        (_, Record::Trouble { .. }) => state.clone(),
    }
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
}

fn unix_time(seconds: f64) -> SystemTime {
    Duration::try_from_secs_f64(seconds)
        .ok()
        .and_then(|d| SystemTime::UNIX_EPOCH.checked_add(d))
        .unwrap_or(SystemTime::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intent(line: &str) -> Record {
        Record::Intent {
            line: line.into(),
            fingerprint: "f".into(),
            endpoint: "ideogram-txt-2-img".into(),
            at: 1.0,
            reserved_usd: 0.1,
        }
    }

    fn fingerprints(lines: &[&str]) -> HashMap<String, String> {
        lines.iter().map(|l| ((*l).into(), "f".into())).collect()
    }

    #[test]
    fn a_torn_tail_is_cut_and_the_next_record_survives() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(dir.path()).unwrap();
        journal.append(&intent("a")).unwrap();
        drop(journal);
        // A kill in the middle of the next write.
        let mut file = OpenOptions::new()
            .append(true)
            .open(dir.path().join(JOURNAL))
            .unwrap();
        let torn = br#"{"record":"submitted","line":"a","fingerpr"#;
        file.write_all(torn).unwrap();
        drop(file);

        let journal = Journal::open(dir.path()).unwrap();
        assert_eq!(journal.damage(), (0, torn.len()));
        journal
            .append(&Record::Submitted {
                line: "a".into(),
                fingerprint: "f".into(),
                request_id: "job-1".into(),
                reconciled: false,
            })
            .unwrap();
        drop(journal);
        let journal = Journal::open(dir.path()).unwrap();
        assert_eq!(journal.damage(), (0, 0));
        assert_eq!(
            journal.states(&fingerprints(&["a"]))["a"],
            LineState::Submitted {
                request_id: "job-1".into(),
                reserved_usd: 0.1
            }
        );
    }

    #[test]
    fn states_fold_in_order_and_a_job_id_is_never_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(dir.path()).unwrap();
        let submitted = |line: &str| Record::Submitted {
            line: line.into(),
            fingerprint: "f".into(),
            request_id: format!("job-{line}"),
            reconciled: false,
        };
        for record in [
            intent("dangling"),
            intent("refused"),
            Record::NotSent {
                line: "refused".into(),
                fingerprint: "f".into(),
                reason: "401".into(),
            },
            intent("troubled"),
            submitted("troubled"),
            Record::Trouble {
                line: "troubled".into(),
                fingerprint: "f".into(),
                request_id: "job-troubled".into(),
                error: "No space left on device".into(),
            },
            intent("done"),
            submitted("done"),
            Record::Done {
                line: "done".into(),
                fingerprint: "f".into(),
                request_id: "job-done".into(),
                file: "done.png".into(),
                cost_usd: Some(0.08),
            },
            Record::Trouble {
                line: "done".into(),
                fingerprint: "f".into(),
                request_id: "job-done".into(),
                error: "late".into(),
            },
        ] {
            journal.append(&record).unwrap();
        }
        let journal = Journal::open(dir.path()).unwrap();
        let states = journal.states(&fingerprints(&["dangling", "refused", "troubled", "done"]));
        assert!(matches!(states["dangling"], LineState::Dangling { .. }));
        assert_eq!(states["refused"], LineState::Fresh);
        assert!(
            matches!(&states["troubled"], LineState::Submitted { request_id, .. } if request_id == "job-troubled")
        );
        assert_eq!(
            states["done"],
            LineState::Done {
                cost_usd: Some(0.08)
            }
        );
        assert!((journal.spent_usd() - 0.08).abs() < 1e-12);
        // A line whose request changed starts afresh.
        let mut changed = fingerprints(&["done"]);
        changed.insert("done".into(), "g".into());
        assert!(journal.states(&changed).is_empty());
    }

    #[test]
    fn garbage_lines_are_skipped_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(JOURNAL), "not json\n\n").unwrap();
        let journal = Journal::open(dir.path()).unwrap();
        assert_eq!(journal.damage(), (1, 0));
        journal.append(&intent("a")).unwrap();
        assert!(Journal::open(dir.path()).is_ok());
    }
}
