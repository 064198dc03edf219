//! The ledger in an SQLite database (the `sqlite` feature, SQLite built
//! in): one row per event in a write-ahead-logged table, each synced event
//! its own transaction. Intents, which need no sync of their own, wait in
//! memory and go in the transaction of the event that follows them, as
//! they ride on the next sync in [`JsonlStore`](super::JsonlStore).

use std::path::{Path, PathBuf};

use rusqlite::{Connection, params};

use super::{Store, StoreError};
use crate::event::Event;

/// A ledger in an SQLite database file.
#[derive(Debug)]
pub struct SqliteStore {
    path: PathBuf,
    db: Connection,
    /// Events appended without a sync, written with the next synced one.
    pending: Vec<String>,
}

fn error(path: &Path, e: impl std::fmt::Display) -> StoreError {
    StoreError::io(
        format!("the ledger {}", path.display()),
        std::io::Error::other(e.to_string()),
    )
}

impl SqliteStore {
    /// Opens (or creates) the database at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let db = Connection::open(&path).map_err(|e| error(&path, e))?;
        db.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             CREATE TABLE IF NOT EXISTS events (
                 seq INTEGER PRIMARY KEY AUTOINCREMENT,
                 record TEXT NOT NULL
             );",
        )
        .map_err(|e| error(&path, e))?;
        Ok(Self {
            path,
            db,
            pending: Vec::new(),
        })
    }

    /// Appends `events` in one transaction, synced once at its end: to
    /// fill a ledger from another store's events.
    pub fn import(&mut self, events: impl IntoIterator<Item = Event>) -> Result<(), StoreError> {
        for event in events {
            let text = serde_json::to_string(&event).map_err(|e| error(&self.path, e))?;
            self.pending.push(text);
        }
        self.flush()
    }

    fn flush(&mut self) -> Result<(), StoreError> {
        let tx = self.db.transaction().map_err(|e| error(&self.path, e))?;
        {
            let mut insert = tx
                .prepare_cached("INSERT INTO events (record) VALUES (?1)")
                .map_err(|e| error(&self.path, e))?;
            for record in &self.pending {
                insert
                    .execute(params![record])
                    .map_err(|e| error(&self.path, e))?;
            }
        }
        tx.commit().map_err(|e| error(&self.path, e))?;
        self.pending.clear();
        Ok(())
    }
}

impl Store for SqliteStore {
    fn replay(&mut self, sink: &mut dyn FnMut(Event)) -> Result<(), StoreError> {
        let mut select = self
            .db
            .prepare("SELECT record FROM events ORDER BY seq")
            .map_err(|e| error(&self.path, e))?;
        let mut rows = select.query([]).map_err(|e| error(&self.path, e))?;
        while let Some(row) = rows.next().map_err(|e| error(&self.path, e))? {
            let text: String = row.get(0).map_err(|e| error(&self.path, e))?;
            if let Ok(event) = serde_json::from_str(&text) {
                sink(event);
            }
        }
        Ok(())
    }

    fn append(&mut self, event: &Event) -> Result<(), StoreError> {
        let text = serde_json::to_string(event).map_err(|e| error(&self.path, e))?;
        self.pending.push(text);
        if event.must_sync()
            && let Err(e) = self.flush()
        {
            // As if not appended: the intent before it stays pending.
            self.pending.pop();
            return Err(e);
        }
        Ok(())
    }

    fn location(&self) -> String {
        self.path.display().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::At;
    use crate::key::{Fingerprint, Key};

    #[test]
    fn events_come_back_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.sqlite");
        let key = Key::new("a", Fingerprint::from_recorded("f"));
        let written = vec![
            Event::Sending {
                key: key.clone(),
                at: At(1),
                until: None,
            },
            Event::Accepted {
                key,
                job_id: "j".into(),
                reconciled: false,
            },
        ];
        let mut store = SqliteStore::open(&path).unwrap();
        for e in &written {
            store.append(e).unwrap();
        }
        drop(store);
        let mut read = Vec::new();
        SqliteStore::open(&path)
            .unwrap()
            .replay(&mut |e| read.push(e))
            .unwrap();
        assert_eq!(read, written);
    }
}
