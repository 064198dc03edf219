//! Images in both directions: what a generation returns
//! ([`GeneratedImage`]), and the reading, checking and encoding of the local
//! files or bytes a request sends ([`ImageInput`]).

use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use serde::{Serialize, Serializer};

use crate::error::Error;
use crate::input::{ImageInput, Source};

/// The largest input image Segmind's models take (Ideogram: 10 MB), from
/// the spec.
pub const MAX_INPUT_IMAGE_BYTES: usize = crate::generated::API.max_input_image_bytes as usize;

/// An image format the models read and write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ImageFormat {
    /// PNG, what Ideogram produces.
    Png,
    /// JPEG.
    Jpeg,
    /// WebP.
    Webp,
}

impl ImageFormat {
    /// Every format, PNG (what Ideogram produces) first.
    pub const ALL: &'static [Self] = &[Self::Png, Self::Jpeg, Self::Webp];

    /// The format of `bytes`, from their magic bytes.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
            Some(Self::Webp)
        } else {
            None
        }
    }

    /// The MIME type (`image/png`).
    pub fn mime_type(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Webp => "image/webp",
        }
    }

    /// The usual file extension, without the dot (`png`).
    pub fn extension(self) -> &'static str {
        match self {
            Self::Png => "png",
            Self::Jpeg => "jpg",
            Self::Webp => "webp",
        }
    }

    /// The format a MIME type names, ignoring parameters and case.
    pub fn from_mime_type(mime: &str) -> Option<Self> {
        // Compared without lowercasing into a new string: this runs on
        // every answer.
        let essence = mime.split(';').next().unwrap_or("").trim();
        let is = |name: &str| essence.eq_ignore_ascii_case(name);
        if is("image/png") {
            Some(Self::Png)
        } else if is("image/jpeg") || is("image/jpg") || is("image/pjpeg") {
            Some(Self::Jpeg)
        } else if is("image/webp") {
            Some(Self::Webp)
        } else {
            None
        }
    }

    /// Where an image of this format is saved when `path` is asked for:
    /// `path` when its extension fits the format, else `path` with the
    /// format's extension (replacing a known image extension, appended to
    /// any other). [`GeneratedImage::save`] writes there.
    ///
    /// ```
    /// use std::path::Path;
    /// use segmind_ideogram::ImageFormat;
    ///
    /// // Every path an image asked at `out.jpg` may take, whatever its format:
    /// let paths: Vec<_> = ImageFormat::ALL.iter().map(|f| f.path_for(Path::new("out.jpg"))).collect();
    /// assert_eq!(paths, [Path::new("out.png"), Path::new("out.jpg"), Path::new("out.webp")]);
    /// ```
    pub fn path_for(self, path: &Path) -> PathBuf {
        let extension = path.extension().and_then(|e| e.to_str());
        match extension.map(|e| (e, Self::from_extension(e))) {
            Some((_, Some(format))) if format == self => path.to_path_buf(),
            Some((_, Some(_))) => path.with_extension(self.extension()),
            Some((other, None)) => path.with_extension(format!("{other}.{}", self.extension())),
            None => path.with_extension(self.extension()),
        }
    }

    fn from_extension(extension: &str) -> Option<Self> {
        match extension.to_ascii_lowercase().as_str() {
            "png" => Some(Self::Png),
            "jpg" | "jpeg" | "jpe" => Some(Self::Jpeg),
            "webp" => Some(Self::Webp),
            _ => None,
        }
    }

    /// `Err` with the reason when `bytes` of this format are cut short:
    /// a PNG ends with its `IEND` chunk, a JPEG with its end-of-image
    /// marker, and a WebP is as long as its RIFF header says.
    pub(crate) fn check_complete(self, bytes: &[u8]) -> Result<(), String> {
        // Trailing padding is tolerated: look in the last few bytes only.
        let tail = &bytes[bytes.len().saturating_sub(64)..];
        let complete = match self {
            Self::Png => tail.windows(4).any(|w| w == b"IEND"),
            Self::Jpeg => tail.windows(2).any(|w| w == [0xFF, 0xD9]),
            Self::Webp => bytes.get(4..8).is_some_and(|size| {
                let declared = u32::from_le_bytes([size[0], size[1], size[2], size[3]]);
                usize::try_from(declared).is_ok_and(|d| d.saturating_add(8) <= bytes.len())
            }),
        };
        if complete {
            Ok(())
        } else {
            Err(format!(
                "the {self} image is truncated ({} bytes)",
                bytes.len()
            ))
        }
    }
}

impl fmt::Display for ImageFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Png => "PNG",
            Self::Jpeg => "JPEG",
            Self::Webp => "WebP",
        })
    }
}

/// What Segmind said about a generation, from the answer's headers (sync
/// calls) or the job's metrics (queued calls). Headers other than
/// `x-remaining-credits` are reported but not promised by Segmind.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ImageMetadata {
    /// The `Content-Type` the server declared, which may disagree with the
    /// bytes (older answers said `image/jpeg` for PNGs).
    pub content_type: Option<String>,
    /// `x-remaining-credits`, or the job's `metrics.remaining_credits`.
    pub remaining_credits: Option<f64>,
    /// `x-seed-value`: the seed actually used.
    pub seed: Option<u64>,
    /// `x-cost`, or the job's `metrics.cost`, in US dollars.
    pub cost: Option<f64>,
    /// `x-generation-time`, or the job's `metrics.inference_time`, in seconds.
    pub generation_time: Option<f64>,
    /// `x-request-id`, or the job's id.
    pub request_id: Option<String>,
    /// `x-output-metadata`, as sent (its format is not documented).
    pub output_metadata: Option<String>,
    /// `x-gpu-info`, as sent (its format is not documented).
    pub gpu_info: Option<String>,
}

/// A generated image: its bytes, their real format, and the metadata.
#[derive(Clone, PartialEq)]
pub struct GeneratedImage {
    bytes: Bytes,
    format: ImageFormat,
    metadata: ImageMetadata,
}

impl GeneratedImage {
    pub(crate) fn new(bytes: Bytes, format: ImageFormat, metadata: ImageMetadata) -> Self {
        Self {
            bytes,
            format,
            metadata,
        }
    }

    /// The encoded image.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// The encoded image, by value.
    pub fn into_bytes(self) -> Bytes {
        self.bytes
    }

    /// The format, from the magic bytes (not from `Content-Type`).
    pub fn format(&self) -> ImageFormat {
        self.format
    }

    /// Headers and metrics of the generation.
    pub fn metadata(&self) -> &ImageMetadata {
        &self.metadata
    }

    /// Whether the declared `Content-Type` names the format the bytes have
    /// (`true` when none was declared).
    pub fn content_type_matches(&self) -> bool {
        self.metadata
            .content_type
            .as_deref()
            .is_none_or(|ct| ImageFormat::from_mime_type(ct) == Some(self.format))
    }

    /// Where [`save`](Self::save) would write when given `path`.
    pub fn path_for(&self, path: &Path) -> PathBuf {
        self.format.path_for(path)
    }
}

impl fmt::Debug for GeneratedImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeneratedImage")
            .field("format", &self.format)
            .field("len", &self.bytes.len())
            .field("metadata", &self.metadata)
            .finish()
    }
}

/// How a local image is written into a request's image field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImageEncoding {
    /// `data:image/png;base64,…`: an absolute URI, so it passes the spec's
    /// `format: uri` check. The default.
    #[default]
    DataUri,
    /// Bare base64. Undocumented for these endpoints (other Segmind models
    /// take it), and not a URI: [`Validate`](crate::Validate) rejects a
    /// request holding it, so [`Client::run`](crate::Client::run) would too.
    RawBase64,
}

/// Reading, checking and encoding; the type itself is in `input`, below
/// the generated requests that hold it.
impl ImageInput {
    /// The value for an image field: the URL as given, or a `data:` URI.
    pub fn to_data_uri(&self) -> Result<String, Error> {
        self.encode(ImageEncoding::DataUri)
    }

    /// The value for an image field: the URL as given, or bare base64 (see
    /// [`ImageEncoding::RawBase64`] for why that fails validation).
    pub fn to_base64(&self) -> Result<String, Error> {
        self.encode(ImageEncoding::RawBase64)
    }

    /// The value for an image field in the chosen encoding; a URL is
    /// returned as given.
    pub fn encode(&self, encoding: ImageEncoding) -> Result<String, Error> {
        let (bytes, format) = match &self.0 {
            Source::Url(url) => return Ok(url.clone()),
            _ => self.load()?,
        };
        Ok(encode_image(&bytes, format, encoding))
    }

    /// The checked bytes and their format; `Err` for a URL.
    pub fn load(&self) -> Result<(Bytes, ImageFormat), Error> {
        let bytes = match &self.0 {
            Source::Url(_) => {
                return Err(Error::ImageInput("a URL input has no local bytes".into()));
            }
            Source::Bytes(bytes) => bytes.clone(),
            Source::File(path) => read_limited(path)?,
        };
        let format = check_input(&bytes)?;
        Ok((bytes, format))
    }
}

/// A URL as it is; a file or bytes as a `data:` URI, read and checked now
/// (an unreadable file or a non-image is a serialization error). The
/// client never serializes a file or bytes: it resolves them first.
impl Serialize for ImageInput {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.as_url() {
            Some(url) => serializer.serialize_str(url),
            None => {
                let uri = self.to_data_uri().map_err(serde::ser::Error::custom)?;
                serializer.serialize_str(&uri)
            }
        }
    }
}

/// Base64 of `bytes` as a data URI or bare, in one allocation.
pub(crate) fn encode_image(bytes: &[u8], format: ImageFormat, encoding: ImageEncoding) -> String {
    let prefix = match encoding {
        ImageEncoding::DataUri => format!("data:{};base64,", format.mime_type()),
        ImageEncoding::RawBase64 => String::new(),
    };
    let mut out = String::with_capacity(prefix.len() + bytes.len().div_ceil(3) * 4);
    out.push_str(&prefix);
    STANDARD.encode_string(bytes, &mut out);
    out
}

fn check_input(bytes: &[u8]) -> Result<ImageFormat, Error> {
    if bytes.len() > MAX_INPUT_IMAGE_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    ImageFormat::sniff(bytes)
        .ok_or_else(|| Error::ImageInput("not a JPEG, PNG or WebP image".into()))
}

fn too_large(len: u64) -> Error {
    Error::ImageInput(format!(
        "{len} bytes is more than the {MAX_INPUT_IMAGE_BYTES} bytes Segmind takes"
    ))
}

/// Reads a file, refusing oversized ones before reading them.
fn read_limited(path: &Path) -> Result<Bytes, Error> {
    let len = std::fs::metadata(path)
        .map_err(|e| Error::io(path.to_path_buf(), e))?
        .len();
    if len > MAX_INPUT_IMAGE_BYTES as u64 {
        return Err(too_large(len));
    }
    std::fs::read(path)
        .map(Bytes::from)
        .map_err(|e| Error::io(path.to_path_buf(), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG_HEAD: &[u8] = b"\x89PNG\r\n\x1a\n";

    #[test]
    fn sniffs_magic_bytes() {
        assert_eq!(ImageFormat::sniff(PNG_HEAD), Some(ImageFormat::Png));
        assert_eq!(
            ImageFormat::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]),
            Some(ImageFormat::Jpeg)
        );
        assert_eq!(
            ImageFormat::sniff(b"RIFF\x04\0\0\0WEBP"),
            Some(ImageFormat::Webp)
        );
        assert_eq!(ImageFormat::sniff(b"RIFF\x04\0\0\0WAVE"), None);
        assert_eq!(ImageFormat::sniff(b"{\"image\":1}"), None);
        assert_eq!(ImageFormat::sniff(b""), None);
    }

    #[test]
    fn mime_types_ignore_parameters() {
        assert_eq!(
            ImageFormat::from_mime_type("Image/PNG; charset=x"),
            Some(ImageFormat::Png)
        );
        assert_eq!(ImageFormat::from_mime_type("application/json"), None);
    }

    #[test]
    fn save_paths_follow_the_format() {
        let image = GeneratedImage::new(
            Bytes::from_static(PNG_HEAD),
            ImageFormat::Png,
            ImageMetadata::default(),
        );
        for (given, written) in [
            ("out.jpg", "out.png"),
            ("out.PNG", "out.PNG"),
            ("out", "out.png"),
            ("dir/out.v1", "dir/out.v1.png"),
            ("out.webp", "out.png"),
        ] {
            assert_eq!(
                image.path_for(Path::new(given)),
                PathBuf::from(written),
                "{given}"
            );
        }
        let jpeg = GeneratedImage::new(
            Bytes::from_static(&[0xFF, 0xD8, 0xFF]),
            ImageFormat::Jpeg,
            ImageMetadata::default(),
        );
        assert_eq!(jpeg.path_for(Path::new("a.jpeg")), PathBuf::from("a.jpeg"));
        assert_eq!(jpeg.path_for(Path::new("a.png")), PathBuf::from("a.jpg"));
    }

    #[test]
    fn inputs_are_checked_and_encoded() {
        let png = ImageInput::bytes(PNG_HEAD.to_vec());
        assert_eq!(
            png.to_data_uri().unwrap(),
            "data:image/png;base64,iVBORw0KGgo="
        );
        assert_eq!(png.to_base64().unwrap(), "iVBORw0KGgo=");
        assert!(crate::__private::check_uri(&png.to_data_uri().unwrap()).is_ok());
        assert!(matches!(
            ImageInput::bytes(&b"GIF89a"[..]).to_data_uri(),
            Err(Error::ImageInput(_))
        ));
        let mut big = PNG_HEAD.to_vec();
        big.resize(MAX_INPUT_IMAGE_BYTES + 1, 0);
        assert!(matches!(
            ImageInput::bytes(big).to_data_uri(),
            Err(Error::ImageInput(_))
        ));
        let url = ImageInput::url("https://example.com/a.png");
        assert_eq!(url.to_data_uri().unwrap(), "https://example.com/a.png");
        assert!(matches!(
            ImageInput::file("/no/such/file.png").to_data_uri(),
            Err(Error::Io { .. })
        ));
        assert_eq!(format!("{png:?}"), "Bytes(8 bytes)");
    }

    #[test]
    fn truncation_is_detected() {
        assert!(ImageFormat::Png.check_complete(PNG_HEAD).is_err());
        assert!(
            ImageFormat::Jpeg
                .check_complete(&[0xFF, 0xD8, 0xFF, 0xE0, 0xFF, 0xD9])
                .is_ok()
        );
        assert!(
            ImageFormat::Jpeg
                .check_complete(&[0xFF, 0xD8, 0xFF, 0xE0, 0x00])
                .is_err()
        );
        assert!(
            ImageFormat::Webp
                .check_complete(b"RIFF\x04\0\0\0WEBP")
                .is_ok()
        );
        assert!(
            ImageFormat::Webp
                .check_complete(b"RIFF\xff\0\0\0WEBP")
                .is_err()
        );
    }
}
