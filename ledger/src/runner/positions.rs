//! Where each key is among a run's entries. A map from keys would hold
//! every key a second time; this table holds a 4-byte position per entry
//! and compares against the entries themselves, so a million-line run
//! pays about 10 MB for it.

use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};

use super::Entry;
use crate::Key;

pub struct Positions {
    table: HashTable<u32>,
    hasher: DefaultHashBuilder,
}

impl Positions {
    /// The positions of `entries` (of a key given twice, the last; entries
    /// past `u32::MAX`, which no memory holds, are not indexed).
    pub fn new(entries: &[Entry]) -> Self {
        let hasher = DefaultHashBuilder::default();
        let mut table = HashTable::with_capacity(entries.len());
        let key_at = |j: &u32| &entries[*j as usize].key;
        for (i, entry) in entries.iter().enumerate() {
            let Ok(i) = u32::try_from(i) else { break };
            let hash = hasher.hash_one(&entry.key);
            match table.entry(
                hash,
                |j| key_at(j) == &entry.key,
                |j| hasher.hash_one(key_at(j)),
            ) {
                hashbrown::hash_table::Entry::Occupied(mut at) => *at.get_mut() = i,
                hashbrown::hash_table::Entry::Vacant(at) => {
                    at.insert(i);
                }
            }
        }
        Self { table, hasher }
    }

    /// The position of `key` in `entries` (the slice it was made of).
    pub fn get(&self, entries: &[Entry], key: &Key) -> Option<usize> {
        let hash = self.hasher.hash_one(key);
        self.table
            .find(hash, |&j| {
                entries.get(j as usize).is_some_and(|e| &e.key == key)
            })
            .map(|&j| j as usize)
    }

    pub fn contains(&self, entries: &[Entry], key: &Key) -> bool {
        self.get(entries, key).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compact::Slug;
    use crate::key::Fingerprint;

    fn entry(line: &str, fingerprint: u64) -> Entry {
        Entry {
            key: Key::new(
                line,
                Fingerprint::from_recorded(&format!("{fingerprint:x}")),
            ),
            endpoint: Slug::of("ideogram-txt-2-img"),
        }
    }

    #[test]
    fn finds_each_key_and_no_other() {
        let entries: Vec<Entry> = (0..1000).map(|i| entry(&format!("l{i}"), i)).collect();
        let positions = Positions::new(&entries);
        for (i, e) in entries.iter().enumerate() {
            assert_eq!(positions.get(&entries, &e.key), Some(i));
        }
        // Same line, other request; other line, same request.
        assert!(!positions.contains(&entries, &entry("l1", 2).key));
        assert!(!positions.contains(&entries, &entry("l1000", 1).key));
    }

    #[test]
    fn a_key_given_twice_is_at_its_last_place() {
        let entries = vec![entry("a", 1), entry("b", 2), entry("a", 1)];
        assert_eq!(
            Positions::new(&entries).get(&entries, &entries[0].key),
            Some(2)
        );
    }
}
