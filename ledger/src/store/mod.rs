//! Where the events live. The ledger needs two things of a store: replay
//! every event recorded, in order, and append one durably.
//!
//! Two stores come with the crate: [`JsonlStore`], the default (one JSON
//! record per line, appended and synced: readable with any text tool, and
//! measured cheaper per line, see `BENCHMARKS.md`), and, with the `sqlite`
//! feature, [`SqliteStore`](sqlite::SqliteStore).
//!
//! # What a store must guarantee
//!
//! A store of your own (a shared database for several machines on one
//! key, say) must keep these, or money can be spent twice:
//!
//! 1. **Durable before return.** When [`Store::append`] returns `Ok` for an
//!    event whose [`must_sync`](Event::must_sync) is true, the event
//!    survives a crash of the process and of the machine. The ledger sends
//!    a POST only after its `sending` event is durable.
//! 2. **One order.** [`Store::replay`] gives every appended event in the
//!    order it was appended, each exactly once, and nothing else. An event
//!    that was not fully written is not replayed.
//! 3. **Nothing lost after a failed append.** An `Err` from `append` leaves
//!    the store as if the event had not been appended; the events before it
//!    stay.
//! 4. **One writer per ledger at a time**, or writes conditional on having
//!    seen every earlier event. The state machine's refusals (no second
//!    intent while an attempt is unresolved) protect the money only if
//!    every writer applies every event in the same order. A store shared by
//!    several processes must serialize them: a lock held for the whole run
//!    (what `ideogram batch` does with its folder lock), or an append that
//!    carries the sequence number its writer replayed up to and fails when
//!    another writer appended since (then replay the new events and decide
//!    again).

mod jsonl;
mod migrate;
#[cfg(feature = "sqlite")]
pub mod sqlite;

pub use jsonl::JsonlStore;

use std::io;

use crate::event::Event;

/// What went wrong with a store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Reading or writing failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being read or written.
        what: String,
        #[source]
        /// The error.
        source: io::Error,
    },
    /// The store holds something this version cannot use (a newer
    /// format, or a record it would misread).
    #[error("{0}")]
    Format(String),
    /// Another process has the ledger open: one writer at a time.
    #[error("{0} is in use by another process")]
    Locked(String),
}

impl StoreError {
    pub(crate) fn io(what: impl Into<String>, source: io::Error) -> Self {
        StoreError::Io {
            what: what.into(),
            source,
        }
    }
}

/// What opening a store found and mended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Repairs {
    /// Bytes of a record that was never finished (a kill mid-write), cut off.
    pub torn_bytes: u64,
    /// Records that could not be read, skipped.
    pub skipped: usize,
    /// The format version the store was migrated from, if it was.
    pub migrated_from: Option<u32>,
}

/// Durable, ordered storage of a ledger's events.
pub trait Store: Send {
    /// Calls `sink` with every event recorded, in order. Called once,
    /// when the ledger opens.
    fn replay(&mut self, sink: &mut dyn FnMut(Event)) -> Result<(), StoreError>;

    /// Appends `event`; when [`Event::must_sync`] says so, it is durable
    /// before this returns, and so is every event appended before it.
    fn append(&mut self, event: &Event) -> Result<(), StoreError>;

    /// Where the store is, for messages (a path).
    fn location(&self) -> String;

    /// What opening the store mended.
    fn repairs(&self) -> Repairs {
        Repairs::default()
    }
}
