//! The account's API key, kept out of every `Debug`, log line and error.

use std::fmt;
use std::sync::Arc;

use reqwest::header::HeaderValue;

use crate::error::Error;

/// A Segmind API key. Its `Debug` prints `ApiKey(***)`; it has no `Display`,
/// so formatting it by accident cannot leak it. Cheap to clone.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(Arc<str>);

impl ApiKey {
    /// Wraps a key. Surrounding whitespace (a trailing newline from a file or
    /// a shell) is dropped, because the server would reject it anyway.
    pub fn new(key: impl Into<String>) -> Self {
        let key = key.into();
        Self(Arc::from(key.trim()))
    }

    /// The key itself, for code that must hand it to something else.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    /// The `x-api-key` header value, marked sensitive so that `http` and
    /// `hyper` never print it.
    pub(crate) fn header_value(&self) -> Result<HeaderValue, Error> {
        if self.0.is_empty() {
            return Err(Error::Config("the API key is empty".into()));
        }
        let mut value = HeaderValue::from_str(&self.0).map_err(|_| {
            Error::Config("the API key holds characters an HTTP header cannot carry".into())
        })?;
        value.set_sensitive(true);
        Ok(value)
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

impl From<String> for ApiKey {
    fn from(key: String) -> Self {
        Self::new(key)
    }
}

impl From<&str> for ApiKey {
    fn from(key: &str) -> Self {
        Self::new(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_key() {
        let key = ApiKey::new("sk-secret-value\n");
        assert_eq!(format!("{key:?}"), "ApiKey(***)");
        assert_eq!(key.expose_secret(), "sk-secret-value");
        assert!(key.header_value().is_ok_and(|v| v.is_sensitive()));
    }

    #[test]
    fn bad_keys_are_config_errors() {
        assert!(ApiKey::new("  ").header_value().is_err());
        assert!(ApiKey::new("a\u{7}b").header_value().is_err());
    }
}
