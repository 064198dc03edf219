//! The default store: one JSON record per line in a text file, each
//! appended in one write and synced when the event says so. The first line
//! names the format and its version.
//!
//! What is recorded is never lost: a torn last record (a kill in the middle
//! of a write) is cut off on open, before anything is appended, so it
//! cannot swallow the next record; an append that fails halfway (a full
//! disk) is cut back. A file of the earlier `ideogram batch` journal format
//! (version 2) is migrated on open, its original kept beside it.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::migrate;
use super::{Repairs, Store, StoreError};
use crate::event::Event;

/// The format's name, in the first line.
pub(crate) const FORMAT: &str = "ideogram-batch-journal";
/// This version of it.
pub(crate) const VERSION: u32 = 3;

/// The first line: what wrote the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Header {
    pub format: String,
    pub version: u32,
}

/// A ledger in a JSON Lines file.
#[derive(Debug)]
pub struct JsonlStore {
    path: PathBuf,
    file: File,
    /// The file's length: where the next record starts.
    len: u64,
    repairs: Repairs,
    /// Opened to look only: nothing mended, nothing appended, no lock.
    read_only: Option<u32>,
}

impl JsonlStore {
    /// Opens (or creates) the ledger file at `path`, cutting off a torn
    /// last record and migrating an earlier format.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let label = format!("the ledger {}", path.display());
        let what = || label.clone();
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(|e| StoreError::io(what(), e))?;
        // One writer at a time, for as long as the store is open.
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(StoreError::Locked(path.display().to_string()));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(StoreError::io(what(), e)),
        }
        let mut repairs = Repairs::default();
        let len = file
            .metadata()
            .map_err(|e| StoreError::io(what(), e))?
            .len();
        // Every record ends with a newline, written in one go; text after
        // the last newline is a write that never finished.
        let complete = end_of_last_line(&mut file, len).map_err(|e| StoreError::io(what(), e))?;
        if complete < len {
            repairs.torn_bytes = len - complete;
            file.set_len(complete)
                .and_then(|()| file.sync_data())
                .map_err(|e| StoreError::io(what(), e))?;
        }
        let mut store = Self {
            path,
            file,
            len: complete,
            repairs,
            read_only: None,
        };
        match store.header()? {
            Some(h) if h.format == FORMAT && h.version == VERSION => {}
            Some(h) if h.format == FORMAT && h.version == migrate::V2 => {
                migrate::v2_file(&store.path).map_err(|e| StoreError::io(what(), e))?;
                let repairs = store.repairs.clone();
                let path = store.path.clone();
                // The old file's lock goes with it; the new file's is taken.
                drop(store);
                store = Self::open(&path)?;
                store.repairs = Repairs {
                    migrated_from: Some(migrate::V2),
                    ..repairs
                };
            }
            Some(h) => {
                return Err(StoreError::Format(format!(
                    "{} was written by {} version {}, which this version of ideogram cannot \
                     read; use the version that wrote it, or another folder",
                    store.path.display(),
                    h.format,
                    h.version
                )));
            }
            None if store.len == 0 => store.write_header()?,
            None => {
                return Err(StoreError::Format(format!(
                    "{} was written by an early version of ideogram (a journal without a \
                     header), whose records this one would misread; finish that batch with the \
                     version that wrote it, or use another folder",
                    store.path.display()
                )));
            }
        }
        Ok(store)
    }

    /// Opens the ledger file at `path` to look only: no lock (a batch may
    /// be running on it), nothing mended or migrated, and
    /// [`append`](Store::append) refused. A torn last record is left out;
    /// a version 2 file is read as it would be migrated.
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let what = || format!("the ledger {}", path.display());
        let mut file = File::open(&path).map_err(|e| StoreError::io(what(), e))?;
        let len = file
            .metadata()
            .map_err(|e| StoreError::io(what(), e))?
            .len();
        let complete = end_of_last_line(&mut file, len).map_err(|e| StoreError::io(what(), e))?;
        let mut store = Self {
            path,
            file,
            len: complete,
            repairs: Repairs {
                torn_bytes: len - complete,
                ..Repairs::default()
            },
            read_only: Some(VERSION),
        };
        match store.header()? {
            Some(h) if h.format == FORMAT && (h.version == VERSION || h.version == migrate::V2) => {
                store.read_only = Some(h.version);
                Ok(store)
            }
            Some(h) => Err(StoreError::Format(format!(
                "{} was written by {} version {}, which this version cannot read",
                store.path.display(),
                h.format,
                h.version
            ))),
            None if store.len == 0 => Ok(store),
            None => Err(StoreError::Format(format!(
                "{} has no header: it is not a ledger this version can read",
                store.path.display()
            ))),
        }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The header, if the first line is one.
    fn header(&mut self) -> Result<Option<Header>, StoreError> {
        let what = format!("the ledger {}", self.path.display());
        self.file
            .seek(SeekFrom::Start(0))
            .map_err(|e| StoreError::io(&what, e))?;
        let mut first = Vec::new();
        BufReader::new((&self.file).take(self.len))
            .read_until(b'\n', &mut first)
            .map_err(|e| StoreError::io(&what, e))?;
        Ok(serde_json::from_slice(trim(&first)).ok())
    }

    fn write_header(&mut self) -> Result<(), StoreError> {
        let header = Header {
            format: FORMAT.into(),
            version: VERSION,
        };
        self.write_line(serde_json::to_vec(&header), true)
    }

    fn write_line(
        &mut self,
        text: Result<Vec<u8>, serde_json::Error>,
        sync: bool,
    ) -> Result<(), StoreError> {
        let what = || format!("cannot write the ledger {}", self.path.display());
        let mut line = text.map_err(|e| StoreError::io(what(), io::Error::other(e)))?;
        line.push(b'\n');
        if let Err(e) = self.file.write_all(&line) {
            // Part of a record would swallow the next one.
            let _ = self.file.set_len(self.len);
            return Err(StoreError::io(what(), e));
        }
        self.len += line.len() as u64;
        if sync {
            self.file
                .sync_data()
                .map_err(|e| StoreError::io(what(), e))?;
        }
        Ok(())
    }
}

impl Store for JsonlStore {
    fn replay(&mut self, sink: &mut dyn FnMut(Event)) -> Result<(), StoreError> {
        let what = format!("the ledger {}", self.path.display());
        self.file
            .seek(SeekFrom::Start(0))
            .map_err(|e| StoreError::io(&what, e))?;
        let mut reader = BufReader::with_capacity(1 << 16, (&self.file).take(self.len));
        let mut line = Vec::new();
        let mut skipped = 0;
        loop {
            line.clear();
            let n = reader
                .read_until(b'\n', &mut line)
                .map_err(|e| StoreError::io(&what, e))?;
            if n == 0 {
                break;
            }
            let text = trim(&line);
            if text.is_empty() || serde_json::from_slice::<Header>(text).is_ok() {
                continue;
            }
            let event = if self.read_only == Some(migrate::V2) {
                migrate::v2_event(text)
            } else {
                serde_json::from_slice::<Event>(text).ok()
            };
            match event {
                Some(event) => sink(event),
                None => skipped += 1,
            }
        }
        self.repairs.skipped = skipped;
        Ok(())
    }

    fn append(&mut self, event: &Event) -> Result<(), StoreError> {
        if self.read_only.is_some() {
            return Err(StoreError::Format(format!(
                "{} was opened to look only",
                self.path.display()
            )));
        }
        self.write_line(serde_json::to_vec(event), event.must_sync())
    }

    fn location(&self) -> String {
        self.path.display().to_string()
    }

    fn repairs(&self) -> Repairs {
        self.repairs.clone()
    }
}

/// The bytes of `line` without surrounding whitespace.
fn trim(line: &[u8]) -> &[u8] {
    let start = line.iter().position(|b| !b.is_ascii_whitespace());
    let end = line.iter().rposition(|b| !b.is_ascii_whitespace());
    match (start, end) {
        (Some(s), Some(e)) => &line[s..=e],
        _ => &[],
    }
}

/// The length of `file` up to and including its last newline.
fn end_of_last_line(file: &mut File, len: u64) -> io::Result<u64> {
    let mut end = len;
    let mut chunk = vec![0u8; 4096];
    while end > 0 {
        let start = end.saturating_sub(chunk.len() as u64);
        let n = (end - start) as usize;
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut chunk[..n])?;
        if let Some(i) = chunk[..n].iter().rposition(|b| *b == b'\n') {
            return Ok(start + i as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::At;
    use crate::key::{Fingerprint, Key};
    use crate::usd::Usd;

    fn key(line: &str) -> Key {
        Key::new(line, Fingerprint::from_recorded("f"))
    }

    fn events(store: &mut JsonlStore) -> Vec<Event> {
        let mut all = Vec::new();
        store.replay(&mut |e| all.push(e)).unwrap();
        all
    }

    fn sending(line: &str) -> Event {
        Event::Sending {
            key: key(line),
            at: At(5),
            until: None,
        }
    }

    #[test]
    fn a_torn_tail_is_cut_and_the_next_record_survives() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let mut store = JsonlStore::open(&path).unwrap();
        store.append(&sending("a")).unwrap();
        drop(store);
        let torn = br#"{"record":"accepted","line":"a","fingerpr"#;
        OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(torn)
            .unwrap();
        let mut store = JsonlStore::open(&path).unwrap();
        assert_eq!(store.repairs().torn_bytes, torn.len() as u64);
        let accepted = Event::Accepted {
            key: key("a"),
            job_id: "j".into(),
            reconciled: false,
        };
        store.append(&accepted).unwrap();
        drop(store);
        let mut store = JsonlStore::open(&path).unwrap();
        assert_eq!(store.repairs(), Repairs::default());
        assert_eq!(events(&mut store), vec![sending("a"), accepted]);
    }

    #[test]
    fn garbage_lines_are_skipped_and_a_newer_format_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let mut store = JsonlStore::open(&path).unwrap();
        store.append(&sending("a")).unwrap();
        drop(store);
        OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"not json\n\n")
            .unwrap();
        let mut store = JsonlStore::open(&path).unwrap();
        assert_eq!(events(&mut store).len(), 1);
        assert_eq!(store.repairs().skipped, 1);

        let newer = dir.path().join("newer.jsonl");
        std::fs::write(
            &newer,
            format!("{{\"format\":\"{FORMAT}\",\"version\":99}}\n"),
        )
        .unwrap();
        let refused = JsonlStore::open(&newer).unwrap_err();
        assert!(refused.to_string().contains("version 99"), "{refused}");
        let headless = dir.path().join("headless.jsonl");
        let legacy = r#"{"record":"intent","line":"l","fingerprint":"f","endpoint":"e","at":1.0,"reserved_usd":0.1}"#;
        std::fs::write(&headless, format!("{legacy}\n")).unwrap();
        assert!(JsonlStore::open(&headless).is_err());
        assert_eq!(
            std::fs::read_to_string(&headless).unwrap(),
            format!("{legacy}\n")
        );
    }

    #[test]
    fn a_look_needs_no_lock_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let mut writer = JsonlStore::open(&path).unwrap();
        writer.append(&sending("a")).unwrap();
        let before = std::fs::read(&path).unwrap();
        let mut look = JsonlStore::open_read_only(&path).unwrap();
        assert_eq!(events(&mut look), vec![sending("a")]);
        assert!(look.append(&sending("b")).is_err());
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }

    #[test]
    fn one_writer_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let first = JsonlStore::open(&path).unwrap();
        let second = JsonlStore::open(&path).unwrap_err();
        assert!(matches!(second, StoreError::Locked(_)), "{second}");
        drop(first);
        assert!(JsonlStore::open(&path).is_ok());
    }

    #[test]
    fn records_read_back_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let mut store = JsonlStore::open(&path).unwrap();
        let written = vec![
            Event::Intent {
                key: key("a"),
                endpoint: "ideogram-txt-2-img".into(),
                body: serde_json::json!({"prompt": "x", "seed": 100}),
                reserved: Usd::from_micros(113_000),
                at: At(1_700_000_000_000),
            },
            sending("a"),
            Event::Done {
                key: key("a"),
                job_id: "j".into(),
                cost: Usd::from_micros(80_000),
                reported: true,
                file: "a.png".into(),
                output_url: Some("https://x/y.png".into()),
            },
        ];
        for e in &written {
            store.append(e).unwrap();
        }
        drop(store);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with(r#"{"format":"ideogram-batch-journal","version":3}"#));
        assert!(
            text.contains(r#""record":"done","line":"a","fingerprint":"000000000000000f""#),
            "{text}"
        );
        assert_eq!(events(&mut JsonlStore::open(&path).unwrap()), written);
    }
}
