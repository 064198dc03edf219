//! What the ledger's records are about: a line (the caller's name for a
//! piece of work) and the request it had, by a fingerprint of the body as
//! sent. A line whose request changes is a new key; the old key's paid job
//! stays known.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A stable hash of an endpoint and the body as sent: 16 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// The fingerprint of `body` (the JSON as sent) for endpoint `slug`.
    ///
    /// FNV-1a over `"{slug}\n{body}"`: stable across versions and builds
    /// (unlike `DefaultHasher`), so a ledger outlives upgrades. It is the
    /// hash earlier journals used, so their keys stay the same.
    pub fn of(slug: &str, body: &str) -> Self {
        let hash = [slug.as_bytes(), b"\n", body.as_bytes()]
            .into_iter()
            .flatten()
            .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
                (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
            });
        Self(format!("{hash:016x}"))
    }

    /// A fingerprint as recorded.
    pub fn from_recorded(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first `n` digits, to tell files apart.
    pub fn short(&self, n: usize) -> &str {
        self.0.get(..n).unwrap_or(&self.0)
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A line and the request it had.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Key {
    /// The caller's name for the work (a batch line's id, an order id).
    pub line: String,
    /// The request's fingerprint.
    pub fingerprint: Fingerprint,
}

impl Key {
    /// The key of `line` with this fingerprint.
    pub fn new(line: impl Into<String>, fingerprint: Fingerprint) -> Self {
        Self {
            line: line.into(),
            fingerprint,
        }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.line, self.fingerprint.short(8))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_the_earlier_journals() {
        // What `ideogram batch` 0.1 computed for this line: its journals
        // keep their keys.
        assert_eq!(
            Fingerprint::of("ideogram-txt-2-img", r#"{"prompt":"x"}"#).as_str(),
            format!(
                "{:016x}",
                "ideogram-txt-2-img\n{\"prompt\":\"x\"}"
                    .bytes()
                    .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b))
                        .wrapping_mul(0x0100_0000_01b3))
            )
        );
        assert_ne!(
            Fingerprint::of("ideogram-txt-2-img", "{}"),
            Fingerprint::of("ideogram-3-reframe", "{}")
        );
        assert_eq!(Fingerprint::of("a", "b").short(8).len(), 8);
    }
}
