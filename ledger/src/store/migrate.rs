//! The `ideogram batch` journal before the ledger (format version 2):
//! dollars as floats, seconds as floats, no request bodies. Migrated, not
//! refused: each record becomes the event it meant, and the original file
//! is kept beside the new one (`<name>.v2`).

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use super::jsonl::{FORMAT, Header, VERSION};
use crate::event::{At, Event};
use crate::key::{Fingerprint, Key};
use crate::usd::Usd;

/// The version migrated from.
pub(crate) const V2: u32 = 2;

/// A version 2 record.
#[derive(Debug, Deserialize)]
#[serde(tag = "record", rename_all = "snake_case")]
enum Record {
    Intent {
        line: String,
        fingerprint: String,
        endpoint: String,
        at: f64,
        reserved_usd: f64,
    },
    Sending {
        line: String,
        fingerprint: String,
        at: f64,
        #[serde(default)]
        until: Option<f64>,
    },
    Submitted {
        line: String,
        fingerprint: String,
        request_id: String,
        #[serde(default)]
        reconciled: bool,
    },
    NotSent {
        line: String,
        fingerprint: String,
        reason: String,
    },
    Abandoned {
        line: String,
        fingerprint: String,
        reason: String,
    },
    Done {
        line: String,
        fingerprint: String,
        request_id: String,
        file: String,
        cost_usd: f64,
        #[serde(default)]
        reported: bool,
    },
    JobFailed {
        line: String,
        fingerprint: String,
        request_id: String,
        error: String,
    },
    Lost {
        line: String,
        fingerprint: String,
        request_id: String,
        error: String,
        cost_usd: f64,
    },
    Trouble {
        line: String,
        fingerprint: String,
        request_id: String,
        error: String,
    },
}

fn key(line: String, fingerprint: String) -> Key {
    Key::new(line, Fingerprint::from_recorded(&fingerprint))
}

/// Seconds as a float to milliseconds (nonsense reads as the epoch).
fn at(seconds: f64) -> At {
    if seconds.is_finite() && seconds > 0.0 {
        At((seconds * 1000.0).min(u64::MAX as f64) as u64)
    } else {
        At(0)
    }
}

/// Dollars as a float; nonsense reads as zero.
fn usd(dollars: f64) -> Usd {
    Usd::from_dollars(dollars).unwrap_or(Usd::ZERO)
}

impl Record {
    fn into_event(self) -> Event {
        match self {
            Record::Intent {
                line,
                fingerprint,
                endpoint,
                at: when,
                reserved_usd,
            } => Event::Intent {
                key: key(line, fingerprint),
                endpoint,
                // Version 2 kept no bodies: the ledger takes the body of
                // the input line with the same fingerprint when it needs one.
                body: Value::Null,
                reserved: usd(reserved_usd),
                at: at(when),
            },
            Record::Sending {
                line,
                fingerprint,
                at: when,
                until,
            } => Event::Sending {
                key: key(line, fingerprint),
                at: at(when),
                until: until.map(at),
            },
            Record::Submitted {
                line,
                fingerprint,
                request_id,
                reconciled,
            } => Event::Accepted {
                key: key(line, fingerprint),
                job_id: request_id,
                reconciled,
            },
            Record::NotSent {
                line,
                fingerprint,
                reason,
            } => Event::NotSent {
                key: key(line, fingerprint),
                reason,
            },
            Record::Abandoned {
                line,
                fingerprint,
                reason,
            } => Event::Abandoned {
                key: key(line, fingerprint),
                reason,
            },
            Record::Done {
                line,
                fingerprint,
                request_id,
                file,
                cost_usd,
                reported,
            } => Event::Done {
                key: key(line, fingerprint),
                job_id: request_id,
                cost: usd(cost_usd),
                reported,
                file,
                output_url: None,
            },
            Record::JobFailed {
                line,
                fingerprint,
                request_id,
                error,
            } => Event::JobFailed {
                key: key(line, fingerprint),
                job_id: request_id,
                error,
            },
            Record::Lost {
                line,
                fingerprint,
                request_id,
                error,
                cost_usd,
            } => Event::Lost {
                key: key(line, fingerprint),
                job_id: request_id,
                error,
                cost: usd(cost_usd),
            },
            Record::Trouble {
                line,
                fingerprint,
                request_id,
                error,
            } => Event::Trouble {
                key: key(line, fingerprint),
                job_id: request_id,
                error,
            },
        }
    }
}

/// The event a version 2 record line means, if it is one.
pub(crate) fn v2_event(line: &[u8]) -> Option<Event> {
    serde_json::from_slice::<Record>(line)
        .ok()
        .map(Record::into_event)
}

/// Rewrites the version 2 file at `path` as this version: the new file is
/// written beside it, synced, and renamed over it; the original is kept as
/// `<path>.v2`. A crash at any point leaves either file whole.
pub(crate) fn v2_file(path: &Path) -> io::Result<()> {
    let text = fs::read_to_string(path)?;
    let mut out = serde_json::to_vec(&Header {
        format: FORMAT.into(),
        version: VERSION,
    })?;
    out.push(b'\n');
    for line in text.lines() {
        let Ok(record) = serde_json::from_str::<Record>(line) else {
            // The header, blank lines and damage (skipped before, too).
            continue;
        };
        serde_json::to_writer(&mut out, &record.into_event())?;
        out.push(b'\n');
    }
    let kept = path.with_extension("jsonl.v2");
    let fresh = path.with_extension("jsonl.v3-migrating");
    let mut file = fs::File::create(&fresh)?;
    file.write_all(&out)?;
    file.sync_all()?;
    fs::copy(path, &kept)?;
    fs::File::open(&kept)?.sync_all()?;
    fs::rename(&fresh, path)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        // The rename itself survives a crash once the folder is synced.
        let _ = fs::File::open(dir).and_then(|d| d.sync_all());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{JsonlStore, Store};

    /// What `ideogram batch` 0.1 wrote: a line done, one with its job
    /// submitted, one sent without an answer.
    const V2_JOURNAL: &str = r#"{"format":"ideogram-batch-journal","version":2}
{"record":"intent","line":"a","fingerprint":"fa","endpoint":"ideogram-txt-2-img","at":1700000000.5,"reserved_usd":0.113}
{"record":"sending","line":"a","fingerprint":"fa","at":1700000001.0,"until":1700000121.0}
{"record":"submitted","line":"a","fingerprint":"fa","request_id":"job-a"}
{"record":"done","line":"a","fingerprint":"fa","request_id":"job-a","file":"a.png","cost_usd":0.08,"reported":true}
{"record":"intent","line":"b","fingerprint":"fb","endpoint":"ideogram-txt-2-img","at":1700000002.0,"reserved_usd":0.113}
{"record":"sending","line":"b","fingerprint":"fb","at":1700000002.0}
{"record":"submitted","line":"b","fingerprint":"fb","request_id":"job-b","reconciled":true}
{"record":"trouble","line":"b","fingerprint":"fb","request_id":"job-b","error":"No space left on device"}
{"record":"intent","line":"c","fingerprint":"fc","endpoint":"ideogram-3-reframe","at":1700000003.0,"reserved_usd":0.113}
{"record":"sending","line":"c","fingerprint":"fc","at":1700000003.25,"until":1700000123.25}
"#;

    #[test]
    fn a_version_2_journal_is_migrated_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        fs::write(&path, V2_JOURNAL).unwrap();
        let mut store = JsonlStore::open(&path).unwrap();
        assert_eq!(store.repairs().migrated_from, Some(2));
        let mut events = Vec::new();
        store.replay(&mut |e| events.push(e)).unwrap();
        assert_eq!(events.len(), 10);
        assert_eq!(
            events[3],
            Event::Done {
                key: key("a".into(), "fa".into()),
                job_id: "job-a".into(),
                cost: Usd::from_micros(80_000),
                reported: true,
                file: "a.png".into(),
                output_url: None,
            }
        );
        assert_eq!(
            events[9],
            Event::Sending {
                key: key("c".into(), "fc".into()),
                at: At(1_700_000_003_250),
                until: Some(At(1_700_000_123_250)),
            }
        );
        assert_eq!(
            fs::read_to_string(dir.path().join("journal.jsonl.v2")).unwrap(),
            V2_JOURNAL
        );
        // Opened again, it is this version's, and not migrated twice.
        drop(store);
        let again = JsonlStore::open(&path).unwrap();
        assert_eq!(again.repairs().migrated_from, None);
    }
}
