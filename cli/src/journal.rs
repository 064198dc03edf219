//! The batch's write-ahead spend journal: one JSON record per line, each
//! appended and synced before the batch moves on (an intent rides on the
//! sync of the attempt that follows it). Before a submission, the
//! intent to submit; right before each attempt of the POST, that it is
//! being sent; as soon as Segmind answers, the job id; then the outcome and
//! the cost. What is recorded is never lost: a torn last record (a kill in
//! the middle of a write) is cut off on open, before anything else is
//! appended, so it cannot swallow the next record.
//!
//! Records are about a line *and* the request it had (its fingerprint): a
//! line whose request was edited starts afresh, and the jobs of its earlier
//! request stay known (see [`Journal::states`]).

use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

/// The journal's name in the output folder.
pub const JOURNAL: &str = "journal.jsonl";

/// The journal's first line: what wrote it. Records change meaning between
/// versions, so a journal without it (an earlier version's) is refused, not
/// misread.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Header {
    format: String,
    version: u32,
}

const FORMAT: &str = "ideogram-batch-journal";
const VERSION: u32 = 2;

/// One record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "snake_case")]
pub enum Record {
    /// About to submit the line: its reservation is taken (written before
    /// the submission waits for its turn; nothing is sent yet).
    Intent {
        line: String,
        fingerprint: String,
        endpoint: String,
        /// Unix time in seconds.
        at: f64,
        /// What the submission may cost, reserved against the budget.
        reserved_usd: f64,
    },
    /// An attempt of the POST is being sent now (written and synced right
    /// before it): from here on Segmind may have the job.
    Sending {
        line: String,
        fingerprint: String,
        /// Unix time in seconds.
        at: f64,
        /// When the attempt is given up (its timeout): it cannot reach
        /// Segmind later. Unix time in seconds; absent when unbounded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until: Option<f64>,
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
    /// A submission that may have reached Segmind is given up on at the
    /// user's request (`--resubmit-unresolved`): its reservation counts as
    /// spent, and the line may be submitted again.
    Abandoned {
        line: String,
        fingerprint: String,
        reserved_usd: f64,
        reason: String,
    },
    /// The image is saved.
    Done {
        line: String,
        fingerprint: String,
        request_id: String,
        file: String,
        /// What the job cost: Segmind's figure, or the reservation when
        /// Segmind reported none (`reported` says which).
        cost_usd: f64,
        #[serde(default)]
        reported: bool,
    },
    /// Segmind ran the job and it failed (not billed): the line may be
    /// submitted again.
    JobFailed {
        line: String,
        fingerprint: String,
        request_id: String,
        error: String,
    },
    /// The job completed (and was billed) but its image can no longer be
    /// fetched: the result expired and the history has no output. Final.
    Lost {
        line: String,
        fingerprint: String,
        request_id: String,
        error: String,
        cost_usd: f64,
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

/// Which line and request a record is about: (line id, fingerprint).
pub type Key = (String, String);

impl Record {
    pub fn key(&self) -> Key {
        let (line, fingerprint) = match self {
            Record::Intent {
                line, fingerprint, ..
            }
            | Record::Sending {
                line, fingerprint, ..
            }
            | Record::Submitted {
                line, fingerprint, ..
            }
            | Record::NotSent {
                line, fingerprint, ..
            }
            | Record::Abandoned {
                line, fingerprint, ..
            }
            | Record::Done {
                line, fingerprint, ..
            }
            | Record::JobFailed {
                line, fingerprint, ..
            }
            | Record::Lost {
                line, fingerprint, ..
            }
            | Record::Trouble {
                line, fingerprint, ..
            } => (line, fingerprint),
        };
        (line.clone(), fingerprint.clone())
    }

    /// The job the record names, if any.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Record::Submitted { request_id, .. }
            | Record::Done { request_id, .. }
            | Record::JobFailed { request_id, .. }
            | Record::Lost { request_id, .. }
            | Record::Trouble { request_id, .. } => Some(request_id),
            _ => None,
        }
    }

    /// What the record adds to the money spent.
    fn spent_usd(&self) -> f64 {
        match self {
            Record::Done { cost_usd, .. } | Record::Lost { cost_usd, .. } => *cost_usd,
            Record::Abandoned { reserved_usd, .. } => *reserved_usd,
            _ => 0.0,
        }
    }
}

/// What the journal says of a line's request, folded from its records in order.
#[derive(Debug, Clone, PartialEq)]
pub enum LineState {
    /// Never submitted, or submitted without effect: submit it.
    Fresh,
    /// An intent, but no attempt was sent: nothing can be billed; submit it.
    Intended { reserved_usd: f64 },
    /// Sent with no answer recorded: it may have reached Segmind.
    Dangling {
        /// When the first attempt was sent: a match is not older.
        since: SystemTime,
        /// When the last attempt was sent.
        last_sent: SystemTime,
        /// When the last attempt was given up, so could no longer reach
        /// Segmind (`None`: no bound was recorded).
        reach_by: Option<SystemTime>,
        reserved_usd: f64,
    },
    /// Segmind has the job: follow it.
    Submitted {
        request_id: String,
        reserved_usd: f64,
    },
    /// Finished: its cost, and its image's file name in the folder.
    Done { cost_usd: f64, file: String },
    /// Billed, and its image can no longer be fetched.
    Lost { request_id: String, error: String },
}

/// The journal file, open for appending.
pub struct Journal {
    path: PathBuf,
    file: Mutex<File>,
    records: Vec<Record>,
    /// Every job id recorded, this run's included: reconciliation never
    /// gives a line a job another line owns.
    known_jobs: Mutex<HashSet<String>>,
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
        let mut header = None;
        for text in bytes[..complete].split(|b| *b == b'\n') {
            if text.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            if let Ok(found) = serde_json::from_slice::<Header>(text) {
                header.get_or_insert(found);
                continue;
            }
            match serde_json::from_slice::<Record>(text) {
                Ok(record) => records.push(record),
                Err(_) => skipped += 1,
            }
        }
        match header {
            Some(h) if h.format == FORMAT && h.version == VERSION => {}
            None if records.is_empty() => {
                let mut text = serde_json::to_vec(&Header {
                    format: FORMAT.into(),
                    version: VERSION,
                })
                .map_err(io::Error::other)?;
                text.push(b'\n');
                file.write_all(&text)?;
                file.sync_data()?;
            }
            found => {
                let what = found.map_or("an earlier version".to_owned(), |h| {
                    format!("{} version {}", h.format, h.version)
                });
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "{} was written by {what} of ideogram, whose records this one would \
                         misread; finish that batch with the version that wrote it, or use \
                         another --out-dir",
                        path.display()
                    ),
                ));
            }
        }
        let known_jobs = records
            .iter()
            .filter_map(Record::request_id)
            .map(str::to_owned)
            .collect();
        Ok(Self {
            path,
            file: Mutex::new(file),
            records,
            known_jobs: Mutex::new(known_jobs),
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

    /// Appends `record` and syncs it to disk before returning; an intent
    /// is not synced on its own (nothing was sent yet, and the record of
    /// the first attempt, synced before it is sent, makes it durable too).
    pub fn append(&self, record: &Record) -> io::Result<()> {
        let mut text = serde_json::to_vec(record).map_err(io::Error::other)?;
        text.push(b'\n');
        if let Some(id) = record.request_id() {
            // Known before it is durable: a failed write must not free the id.
            self.known_jobs
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(id.to_owned());
        }
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        let before = file.metadata()?.len();
        if let Err(e) = file.write_all(&text) {
            // A part of a record (a full disk) would swallow the next one.
            let _ = file.set_len(before);
            return Err(e);
        }
        if matches!(record, Record::Intent { .. }) {
            return Ok(());
        }
        file.sync_data()
    }

    /// Syncs what was appended to disk.
    pub fn sync(&self) -> io::Result<()> {
        self.file
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .sync_data()
    }

    /// Every job id the journal has recorded, this run's included.
    pub fn known_jobs(&self) -> HashSet<String> {
        self.known_jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The state of every (line, request) the journal knows, as of opening.
    /// A line whose request changed has two keys: the current request's,
    /// and the earlier one's, whose job (if any) is still the user's.
    pub fn states(&self) -> HashMap<Key, LineState> {
        let mut states: HashMap<Key, LineState> = HashMap::new();
        for record in &self.records {
            let state = states.entry(record.key()).or_insert(LineState::Fresh);
            *state = next_state(state, record);
        }
        states
    }

    /// What the journal's jobs cost, in US dollars.
    pub fn spent_usd(&self) -> f64 {
        self.records.iter().map(Record::spent_usd).sum()
    }
}

fn next_state(state: &LineState, record: &Record) -> LineState {
    let reserved = match state {
        LineState::Intended { reserved_usd }
        | LineState::Dangling { reserved_usd, .. }
        | LineState::Submitted { reserved_usd, .. } => *reserved_usd,
        _ => 0.0,
    };
    match (state, record) {
        // A finished line stays finished.
        (LineState::Done { .. } | LineState::Lost { .. }, _) => state.clone(),
        (_, Record::Intent { reserved_usd, .. }) => LineState::Intended {
            reserved_usd: *reserved_usd,
        },
        (_, Record::Sending { at, until, .. }) => LineState::Dangling {
            since: match state {
                LineState::Dangling { since, .. } => *since,
                _ => unix_time(*at),
            },
            last_sent: unix_time(*at),
            reach_by: until.map(unix_time),
            reserved_usd: reserved,
        },
        (_, Record::Submitted { request_id, .. }) => LineState::Submitted {
            request_id: request_id.clone(),
            reserved_usd: reserved,
        },
        (_, Record::NotSent { .. } | Record::JobFailed { .. } | Record::Abandoned { .. }) => {
            LineState::Fresh
        }
        (_, Record::Done { cost_usd, file, .. }) => LineState::Done {
            cost_usd: *cost_usd,
            file: file.clone(),
        },
        (
            _,
            Record::Lost {
                request_id, error, ..
            },
        ) => LineState::Lost {
            request_id: request_id.clone(),
            error: error.clone(),
        },
        // The job id is kept: the line is followed again next time.
        (_, Record::Trouble { .. }) => state.clone(),
    }
}

/// `at` in seconds since the Unix epoch.
pub fn unix_seconds(at: SystemTime) -> f64 {
    at.duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> f64 {
    unix_seconds(SystemTime::now())
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

    fn key(line: &str) -> Key {
        (line.into(), "f".into())
    }

    fn intent(line: &str) -> Record {
        Record::Intent {
            line: line.into(),
            fingerprint: "f".into(),
            endpoint: "ideogram-txt-2-img".into(),
            at: 1.0,
            reserved_usd: 0.1,
        }
    }

    fn sending(line: &str, at: f64) -> Record {
        Record::Sending {
            line: line.into(),
            fingerprint: "f".into(),
            at,
            until: Some(at + 120.0),
        }
    }

    fn submitted(line: &str) -> Record {
        Record::Submitted {
            line: line.into(),
            fingerprint: "f".into(),
            request_id: format!("job-{line}"),
            reconciled: false,
        }
    }

    #[test]
    fn a_torn_tail_is_cut_and_the_next_record_survives() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(dir.path()).unwrap();
        journal.append(&intent("a")).unwrap();
        journal.append(&sending("a", 2.0)).unwrap();
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
        journal.append(&submitted("a")).unwrap();
        drop(journal);
        let journal = Journal::open(dir.path()).unwrap();
        assert_eq!(journal.damage(), (0, 0));
        assert_eq!(
            journal.states()[&key("a")],
            LineState::Submitted {
                request_id: "job-a".into(),
                reserved_usd: 0.1
            }
        );
        assert!(journal.known_jobs().contains("job-a"));
    }

    #[test]
    fn states_fold_in_order_and_a_job_id_is_never_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(dir.path()).unwrap();
        for record in [
            intent("queued"),
            intent("dangling"),
            sending("dangling", 10.0),
            sending("dangling", 12.0),
            intent("refused"),
            sending("refused", 10.0),
            Record::NotSent {
                line: "refused".into(),
                fingerprint: "f".into(),
                reason: "401".into(),
            },
            intent("troubled"),
            sending("troubled", 10.0),
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
                cost_usd: 0.08,
                reported: true,
            },
            Record::Trouble {
                line: "done".into(),
                fingerprint: "f".into(),
                request_id: "job-done".into(),
                error: "late".into(),
            },
            intent("abandoned"),
            sending("abandoned", 10.0),
            Record::Abandoned {
                line: "abandoned".into(),
                fingerprint: "f".into(),
                reserved_usd: 0.1,
                reason: "forced".into(),
            },
            Record::Lost {
                line: "lost".into(),
                fingerprint: "f".into(),
                request_id: "job-lost".into(),
                error: "expired".into(),
                cost_usd: 0.06,
            },
        ] {
            journal.append(&record).unwrap();
        }
        let journal = Journal::open(dir.path()).unwrap();
        let states = journal.states();
        assert_eq!(
            states[&key("queued")],
            LineState::Intended { reserved_usd: 0.1 }
        );
        assert_eq!(
            states[&key("dangling")],
            LineState::Dangling {
                since: unix_time(10.0),
                last_sent: unix_time(12.0),
                reach_by: Some(unix_time(132.0)),
                reserved_usd: 0.1
            }
        );
        assert_eq!(states[&key("refused")], LineState::Fresh);
        assert!(
            matches!(&states[&key("troubled")], LineState::Submitted { request_id, .. } if request_id == "job-troubled")
        );
        assert_eq!(
            states[&key("done")],
            LineState::Done {
                cost_usd: 0.08,
                file: "done.png".into()
            }
        );
        assert_eq!(states[&key("abandoned")], LineState::Fresh);
        assert!(matches!(states[&key("lost")], LineState::Lost { .. }));
        // Done, lost and abandoned money all count as spent.
        assert!((journal.spent_usd() - 0.24).abs() < 1e-12);
        // Another request of the same line is another key.
        assert!(!states.contains_key(&("done".to_owned(), "g".to_owned())));
        let known = journal.known_jobs();
        for id in ["job-troubled", "job-done", "job-lost"] {
            assert!(known.contains(id), "{id}");
        }
    }

    #[test]
    fn a_journal_without_its_header_is_refused_not_misread() {
        let dir = tempfile::tempdir().unwrap();
        // What the first version wrote: an intent meant "maybe sent".
        let legacy = r#"{"record":"intent","line":"line-00001","fingerprint":"f","endpoint":"ideogram-txt-2-img","at":1.0,"reserved_usd":0.1}"#;
        std::fs::write(dir.path().join(JOURNAL), format!("{legacy}\n")).unwrap();
        let refused = Journal::open(dir.path()).err().unwrap();
        assert!(refused.to_string().contains("earlier version"), "{refused}");
        // Nothing was changed.
        assert_eq!(
            std::fs::read_to_string(dir.path().join(JOURNAL)).unwrap(),
            format!("{legacy}\n")
        );
        // A new journal starts with the header, and opens again.
        let fresh = tempfile::tempdir().unwrap();
        Journal::open(fresh.path())
            .unwrap()
            .append(&intent("a"))
            .unwrap();
        let text = std::fs::read_to_string(fresh.path().join(JOURNAL)).unwrap();
        assert!(text.starts_with(r#"{"format":"ideogram-batch-journal","version":2}"#));
        assert_eq!(Journal::open(fresh.path()).unwrap().records.len(), 1);
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
