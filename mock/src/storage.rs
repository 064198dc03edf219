//! Segmind's storage, in memory: uploaded images kept under an id and
//! served at a public URL, with a byte cap so a long-running mock does not
//! grow without bound.

use std::collections::{HashMap, VecDeque};

use bytes::Bytes;

/// The most bytes of uploads kept; the oldest go first.
pub(crate) const STORAGE_BYTES: usize = 256 * 1024 * 1024;

#[derive(Debug, Default)]
pub(crate) struct Storage {
    files: HashMap<String, (&'static str, Bytes)>,
    order: VecDeque<String>,
    bytes: usize,
}

impl Storage {
    /// Keeps `bytes` of type `mime` under `name`, dropping the oldest
    /// files past the cap.
    pub fn put(&mut self, name: String, mime: &'static str, bytes: Bytes) {
        self.bytes = self.bytes.saturating_add(bytes.len());
        self.files.insert(name.clone(), (mime, bytes));
        self.order.push_back(name);
        while self.bytes > STORAGE_BYTES && self.order.len() > 1 {
            if let Some(old) = self.order.pop_front()
                && let Some((_, gone)) = self.files.remove(&old)
            {
                self.bytes = self.bytes.saturating_sub(gone.len());
            }
        }
    }

    pub fn get(&self, name: &str) -> Option<(&'static str, Bytes)> {
        self.files.get(name).cloned()
    }
}
