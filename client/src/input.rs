//! What a request holds for an input image: a URL, a local file or bytes.
//!
//! The generated request types hold [`ImageInput`], so this module sits
//! below them and uses nothing of the runtime. Reading, checking and
//! encoding a file or bytes (which needs the crate's errors and the spec's
//! size limit) is in `image`; sending is in `upload`.

use std::fmt;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use serde::Deserialize;
use serde_json::Value;

use crate::validation::checks::{self, string_from_json};
use crate::validation::{FromJson, Violation};

/// An image to send: a URL Segmind fetches itself, a local file, or the
/// bytes of one.
///
/// The request members that take an image (`image_file`, `image`,
/// `style_reference_images`) hold one, and their setters take anything that
/// converts into one: a `&str` or `String` is a URL.
///
/// ```no_run
/// use segmind_ideogram::{Client, IdeogramImg2ImgRequest, ImageInput};
///
/// # async fn demo() -> Result<(), segmind_ideogram::Error> {
/// let client = Client::from_env()?;
/// let request = IdeogramImg2ImgRequest::new(
///     ImageInput::file("sketch.png"),
///     "the same sketch, in watercolour",
/// );
/// let image = client.run(&request).await?; // sketch.png goes to Segmind's storage first
/// # Ok(()) }
/// ```
///
/// A file or bytes is resolved when the request is sent:
/// [`Client::run`](crate::Client::run), `submit` and `generate` (and their
/// `*_any` and blocking forms) read and check it (JPEG, PNG or WebP, at most
/// [`MAX_INPUT_IMAGE_BYTES`](crate::MAX_INPUT_IMAGE_BYTES)), upload it to
/// Segmind's storage and send its URL, or send it inline as a `data:` URI
/// when the client is built with
/// [`inline_images(true)`](crate::ClientBuilder::inline_images). A file that
/// cannot be read, or is no such image, is an error and nothing is sent.
///
/// Serialized on its own (`serde_json::to_string(&request)`), a URL is
/// written as it is and a file or bytes as a `data:` URI, read at that
/// moment. Parsed from JSON, a string is a URL.
#[derive(Clone, PartialEq)]
pub struct ImageInput(pub(crate) Source);

#[derive(Clone, PartialEq)]
pub(crate) enum Source {
    Url(String),
    File(PathBuf),
    Bytes(Bytes),
}

impl ImageInput {
    /// An image Segmind fetches itself (an `https:` URL, or a `data:` URI).
    pub fn url(url: impl Into<String>) -> Self {
        Self(Source::Url(url.into()))
    }

    /// A local file, read when the request is sent.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Self(Source::File(path.into()))
    }

    /// Encoded image bytes (a whole JPEG, PNG or WebP file).
    pub fn bytes(bytes: impl Into<Bytes>) -> Self {
        Self(Source::Bytes(bytes.into()))
    }

    /// The URL, for an image Segmind fetches itself.
    pub fn as_url(&self) -> Option<&str> {
        match &self.0 {
            Source::Url(url) => Some(url),
            _ => None,
        }
    }

    /// The path, for a local file.
    pub fn as_file(&self) -> Option<&Path> {
        match &self.0 {
            Source::File(path) => Some(path),
            _ => None,
        }
    }
}

/// A URL.
impl From<String> for ImageInput {
    fn from(url: String) -> Self {
        Self::url(url)
    }
}

/// A URL.
impl From<&str> for ImageInput {
    fn from(url: &str) -> Self {
        Self::url(url)
    }
}

/// A URL.
impl From<&String> for ImageInput {
    fn from(url: &String) -> Self {
        Self::url(url.as_str())
    }
}

impl fmt::Debug for ImageInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Source::Url(url) => f.debug_tuple("Url").field(url).finish(),
            Source::File(path) => f.debug_tuple("File").field(path).finish(),
            Source::Bytes(bytes) => write!(f, "Bytes({} bytes)", bytes.len()),
        }
    }
}

/// A JSON string, as a URL. Its `format: uri` is checked by the request's
/// [`Validate`](crate::Validate), as for any URI member.
impl FromJson for ImageInput {
    fn from_json_at(
        value: &Value,
        path: &checks::Path<'_>,
        errors: &mut Vec<Violation>,
    ) -> Option<Self> {
        string_from_json(value, path, errors).map(Self::url)
    }
}

impl<'de> Deserialize<'de> for ImageInput {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        checks::deserialize_via_from_json(deserializer)
    }
}

/// What the wire carries, as the spec says: a `uri` string.
#[cfg(feature = "schemars")]
impl schemars::JsonSchema for ImageInput {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ImageInput".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "format": "uri"
        })
    }
}
