//! Who a request came from, without keeping the key: jobs and logged
//! requests carry a fingerprint, so nothing a test prints shows a key.

use std::fmt;

use axum::http::HeaderMap;
use segmind_ideogram::API;

use crate::config::MockConfig;
use crate::picture::stable_hash;

/// A non-secret stand-in for an API key: equal keys give equal
/// fingerprints, and the key cannot be read back from it. Jobs are scoped
/// to the fingerprint of the key that created them.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyFingerprint(u64);

impl KeyFingerprint {
    /// The fingerprint of `key`, as the server computes it.
    pub fn of(key: &str) -> Self {
        Self(stable_hash(&[b"segmind-ideogram-mock key", key.as_bytes()]))
    }
}

impl fmt::Debug for KeyFingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyFingerprint({self})")
    }
}

impl fmt::Display for KeyFingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// The fingerprint of the request's key (the spec's auth header) if the server accepts it:
/// the configured key, or any non-empty key when none is configured.
pub(crate) fn authorised(config: &MockConfig, headers: &HeaderMap) -> Option<KeyFingerprint> {
    let key = sent_key(headers)?;
    let accepted = match &config.api_key {
        Some(expected) => key == expected,
        None => true,
    };
    accepted.then(|| KeyFingerprint::of(key))
}

/// The fingerprint of whatever non-empty key the request carries.
pub(crate) fn sent(headers: &HeaderMap) -> Option<KeyFingerprint> {
    sent_key(headers).map(KeyFingerprint::of)
}

fn sent_key(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(API.auth_header)
        .and_then(|v| v.to_str().ok())
        .filter(|key| !key.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fingerprint_tells_keys_apart_without_showing_them() {
        let a = KeyFingerprint::of("sg_secret_a");
        assert_eq!(a, KeyFingerprint::of("sg_secret_a"));
        assert_ne!(a, KeyFingerprint::of("sg_secret_b"));
        let shown = format!("{a:?} {a}");
        assert!(!shown.contains("secret"), "{shown}");
    }
}
