//! What the ledger's records are about: a line (the caller's name for a
//! piece of work) and the request it had, by a fingerprint of the body as
//! sent. A line whose request changes is a new key; the old key's paid job
//! stays known.

use std::fmt;
use std::sync::Arc;

use segmind_ideogram::AnyRequest;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// FNV-1a, 64 bits: stable across versions and builds (unlike
/// `DefaultHasher`), so keys outlive upgrades.
pub(crate) fn fnv1a(parts: &[&[u8]]) -> u64 {
    parts
        .iter()
        .flat_map(|part| part.iter())
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
        })
}

/// A stable hash of an endpoint and the body as sent; written as 16 hex
/// digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fingerprint(u64);

impl Fingerprint {
    /// The fingerprint of `body` (the JSON as sent) for endpoint `slug`:
    /// FNV-1a over `"{slug}\n{body}"`, the hash earlier journals used, so
    /// their keys stay the same.
    pub fn of(slug: &str, body: &str) -> Self {
        Self(fnv1a(&[slug.as_bytes(), b"\n", body.as_bytes()]))
    }

    /// The fingerprint of `request`. A local image (a file or bytes, not yet
    /// uploaded) counts by its content, not by the URL it will get: the same
    /// file makes the same key in every run. Reads those files.
    pub fn of_request(request: &AnyRequest) -> std::io::Result<Self> {
        let slug = request.info().slug;
        if request.images().iter().all(|i| i.as_url().is_some()) {
            return Ok(Self::of(slug, &serde_json::to_string(request)?));
        }
        let mut keyed = request.clone();
        for image in keyed.images_mut() {
            if image.as_url().is_none() {
                let (bytes, _) = image
                    .load()
                    .map_err(|e| std::io::Error::other(e.to_string()))?;
                *image = format!("local-image:{:016x}", fnv1a(&[&bytes])).into();
            }
        }
        Ok(Self::of(slug, &serde_json::to_string(&keyed)?))
    }

    /// A fingerprint as recorded: 16 hex digits (any other text, which no
    /// version writes, is hashed so that it stays distinct).
    pub fn from_recorded(text: &str) -> Self {
        match u64::from_str_radix(text, 16) {
            Ok(n) if !text.is_empty() && text.len() <= 16 => Self(n),
            _ => Self(fnv1a(&[b"recorded:", text.as_bytes()])),
        }
    }

    /// The hash.
    pub fn value(self) -> u64 {
        self.0
    }

    /// The first `n` hex digits, to tell files apart.
    pub fn short(self, n: usize) -> String {
        let mut hex = self.to_string();
        hex.truncate(n);
        hex
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl Serialize for Fingerprint {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Fingerprint {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Ok(Self::from_recorded(&text))
    }
}

/// A line and the request it had.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Key {
    /// The caller's name for the work (a batch line's id, an order id).
    /// Shared, not copied, by the ledger's states and a run's list.
    pub line: Arc<str>,
    /// The request's fingerprint.
    pub fingerprint: Fingerprint,
}

impl Key {
    /// The key of `line` with this fingerprint.
    pub fn new(line: impl Into<Arc<str>>, fingerprint: Fingerprint) -> Self {
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
    use segmind_ideogram::{IdeogramImg2ImgRequest, ImageInput};

    #[test]
    fn fingerprints_are_the_earlier_journals() {
        // What `ideogram batch` 0.1 computed for this line: its journals
        // keep their keys.
        let text = "ideogram-txt-2-img\n{\"prompt\":\"x\"}";
        let earlier = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        let fingerprint = Fingerprint::of("ideogram-txt-2-img", r#"{"prompt":"x"}"#);
        assert_eq!(fingerprint.to_string(), format!("{earlier:016x}"));
        assert_eq!(
            Fingerprint::from_recorded(&fingerprint.to_string()),
            fingerprint
        );
        assert_ne!(
            Fingerprint::of("ideogram-txt-2-img", "{}"),
            Fingerprint::of("ideogram-3-reframe", "{}")
        );
        assert_eq!(fingerprint.short(8).len(), 8);
        let json = serde_json::to_string(&fingerprint).unwrap();
        assert_eq!(
            serde_json::from_str::<Fingerprint>(&json).unwrap(),
            fingerprint
        );
    }

    #[test]
    fn a_local_image_counts_by_its_content() {
        let dir = tempfile::tempdir().unwrap();
        let png = dir.path().join("a.png");
        let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
        bytes.extend_from_slice(&[0u8; 64]);
        std::fs::write(&png, &bytes).unwrap();
        let request =
            |image: ImageInput| AnyRequest::from(IdeogramImg2ImgRequest::new(image, "at night"));
        let first = Fingerprint::of_request(&request(ImageInput::file(&png))).unwrap();
        let again = Fingerprint::of_request(&request(ImageInput::file(&png))).unwrap();
        assert_eq!(first, again, "the same file, the same key");
        bytes.push(1);
        std::fs::write(&png, &bytes).unwrap();
        let edited = Fingerprint::of_request(&request(ImageInput::file(&png))).unwrap();
        assert_ne!(first, edited, "another image, another request");
        // A URL request keeps the plain fingerprint of its body.
        let url = request("https://example.com/a.png".into());
        assert_eq!(
            Fingerprint::of_request(&url).unwrap(),
            Fingerprint::of("ideogram-img-2-img", &serde_json::to_string(&url).unwrap())
        );
    }
}
