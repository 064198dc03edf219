//! Small forms of what a ledger keeps for every request, so that a batch of
//! a million lines fits in memory: endpoints as an index into the names
//! seen, job ids as 16 bytes when they are hex (as Segmind's are).

use std::borrow::Cow;
use std::fmt;
use std::sync::{Mutex, OnceLock};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An endpoint's slug, its text kept once for the whole process (every
/// state of a million requests names one of a handful).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Slug(&'static str);

impl Slug {
    /// The slug named `name`: the registry's own text, or a copy kept for
    /// the life of the process (one per distinct name a ledger holds).
    pub fn of(name: &str) -> Self {
        static SEEN: OnceLock<Mutex<Vec<&'static str>>> = OnceLock::new();
        if let Some(info) = segmind_ideogram::ENDPOINTS.iter().find(|e| e.slug == name) {
            return Slug(info.slug);
        }
        let mut seen = SEEN
            .get_or_init(|| Mutex::new(Vec::new()))
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(known) = seen.iter().find(|n| **n == name) {
            return Slug(known);
        }
        let kept: &'static str = Box::leak(name.to_owned().into_boxed_str());
        seen.push(kept);
        Slug(kept)
    }

    /// Its name.
    pub fn as_str(self) -> &'static str {
        self.0
    }
}

impl std::ops::Deref for Slug {
    type Target = str;

    fn deref(&self) -> &str {
        self.0
    }
}

impl fmt::Debug for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0, f)
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl From<&str> for Slug {
    fn from(name: &str) -> Self {
        Slug::of(name)
    }
}

/// A job's id, as Segmind gave it: 32 lowercase hex digits are kept in 16
/// bytes; any other id as text.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum JobId {
    /// 32 lowercase hex digits.
    Hex([u8; 16]),
    /// Any other id.
    Text(Box<str>),
}

impl JobId {
    /// The id `text`.
    pub fn new(text: &str) -> Self {
        let hex = text.len() == 32
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if hex {
            let mut bytes = [0u8; 16];
            for (i, byte) in bytes.iter_mut().enumerate() {
                *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap_or(0);
            }
            JobId::Hex(bytes)
        } else {
            JobId::Text(text.into())
        }
    }

    /// The id as Segmind wrote it.
    pub fn as_str(&self) -> Cow<'_, str> {
        match self {
            JobId::Hex(bytes) => Cow::Owned(bytes.iter().map(|b| format!("{b:02x}")).collect()),
            JobId::Text(text) => Cow::Borrowed(text),
        }
    }

    /// Whether this is the id `text`.
    pub fn is(&self, text: &str) -> bool {
        match self {
            JobId::Text(mine) => &**mine == text,
            hex => *hex == JobId::new(text),
        }
    }
}

impl fmt::Debug for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.as_str(), f)
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_str())
    }
}

impl Serialize for JobId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.as_str())
    }
}

impl<'de> Deserialize<'de> for JobId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <Cow<'de, str>>::deserialize(deserializer)?;
        Ok(JobId::new(&text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_kept_once() {
        let a = Slug::of("ideogram-txt-2-img");
        assert_eq!(a, Slug::of("ideogram-txt-2-img"));
        assert_eq!(a.as_str(), "ideogram-txt-2-img");
        let other = Slug::of("some-retired-model");
        assert_eq!(other.as_str(), "some-retired-model");
        assert_ne!(a, other);
    }

    #[test]
    fn job_ids_round_trip_whatever_their_form() {
        for text in [
            "47411f110c6fa4fe05dcb9ffed2c1962",
            "47411F110C6FA4FE05DCB9FFED2C1962",
            "a6f5c7d8-1234-4abc-9def-0123456789ab",
            "job-1",
            "",
        ] {
            let id = JobId::new(text);
            assert_eq!(id.as_str(), text);
            assert!(id.is(text));
            let json = serde_json::to_string(&id).unwrap();
            assert_eq!(serde_json::from_str::<JobId>(&json).unwrap(), id);
        }
        assert!(matches!(
            JobId::new("47411f110c6fa4fe05dcb9ffed2c1962"),
            JobId::Hex(_)
        ));
        assert!(!JobId::new("47411f110c6fa4fe05dcb9ffed2c1962").is("x"));
        assert_eq!(std::mem::size_of::<JobId>(), 24);
    }
}
