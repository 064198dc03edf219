//! What the generated registry says about each endpoint. The runtime, the
//! mock server and the CLI read these instead of naming endpoints.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::input::ImageInput;
use crate::validation::{FromJson, ParseEnumError, Validate, exact_size};

/// A request type of one endpoint. Implemented by the generated code for
/// every request struct; code generic over `E: Endpoint` works for endpoints
/// added to the spec later.
pub trait Endpoint:
    Serialize + DeserializeOwned + FromJson + Validate + Clone + std::fmt::Debug + Send + Sync + 'static
{
    /// The endpoint's metadata.
    const INFO: &'static EndpointInfo;

    /// The request's input images (the members the spec marks `image`), in
    /// field order; empty when the endpoint takes none.
    ///
    /// [`Client::run`](crate::Client::run), `submit` and `generate` send a
    /// copy of the request in which each one that is not a URL is replaced
    /// by the URL of its upload (or its `data:` URI); the request itself is
    /// left as it is.
    ///
    /// ```
    /// use segmind_ideogram::{Endpoint, IdeogramImg2ImgRequest, ImageInput};
    ///
    /// let request = IdeogramImg2ImgRequest::new(ImageInput::file("in.png"), "at night");
    /// assert_eq!(request.images(), [&ImageInput::file("in.png")]);
    /// ```
    fn images(&self) -> Vec<&ImageInput>;

    /// The request's input images, to replace: with the URL of an image
    /// uploaded once for many requests, say.
    fn images_mut(&mut self) -> Vec<&mut ImageInput>;
}

/// Static metadata of one endpoint, from the spec.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct EndpointInfo {
    /// The path segment after `/v1/` and `/v2/` (`ideogram-txt-2-img`).
    pub slug: &'static str,
    /// Human-readable name.
    pub title: &'static str,
    /// One paragraph on what the endpoint does.
    pub summary: &'static str,
    /// The Rust name of the request type.
    pub request_type: &'static str,
    /// What a successful sync call answers with.
    pub response: ResponseKind,
    /// Documented price per generation, when the document gives one.
    pub price_usd: Option<Price>,
    /// Documented typical latency in seconds.
    pub typical_latency_secs: Option<f64>,
    /// Caveats about the metadata above.
    pub note: Option<&'static str>,
    /// The path of a synchronous call (`/v1/ideogram-txt-2-img`).
    pub sync_path: &'static str,
    /// The path of a queued submission (`/v2/ideogram-txt-2-img`), when the
    /// endpoint has the queue.
    pub submit_path: Option<&'static str>,
    /// Error statuses the document lists for the sync call.
    pub error_statuses: &'static [u16],
    /// The request's members.
    pub fields: &'static [FieldInfo],
}

impl EndpointInfo {
    /// Whether the queued (v2) protocol is available.
    pub fn supports_async(&self) -> bool {
        self.submit_path.is_some()
    }

    /// The member called `name`.
    pub fn field(&self, name: &str) -> Option<&'static FieldInfo> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// Segmind's protocol beyond the endpoints, generated from the spec into
/// [`API`](crate::API): where the API lives, how the key travels, limits,
/// and the operations the runtime uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiInfo {
    /// Segmind's base URL (`https://api.segmind.com`).
    pub base_url: &'static str,
    /// The header that carries the API key (lowercase).
    pub auth_header: &'static str,
    /// The response headers the runtime reads, by what they mean (lowercase).
    pub headers: ResponseHeaders,
    /// The largest input image the models take, in bytes.
    pub max_input_image_bytes: u64,
    /// The longest window, in days, of one request-history query.
    pub history_window_days: u32,
    /// The most rows one request-history page holds, when the spec says.
    pub history_max_per_page: Option<u64>,
    /// The rows of a request-history page that does not say, when the spec says.
    pub history_default_per_page: Option<u64>,
    /// A queued job's status.
    pub job_status: Operation,
    /// A queued job's result.
    pub job_result: Operation,
    /// The legacy `poll_url` of a submission.
    pub job_poll_legacy: Operation,
    /// The account's credits.
    pub credits: Operation,
    /// The request history.
    pub request_history: Operation,
    /// One request's record in the history.
    pub request_record: Operation,
    /// Storage upload of local files.
    pub upload_asset: Operation,
}

/// The names of the response headers the runtime reads (lowercase), by
/// what they mean: [`API.headers`](crate::API).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResponseHeaders {
    /// Credits left after a call.
    pub remaining_credits: &'static str,
    /// The seed a generation used.
    pub seed: &'static str,
    /// What a call cost, in US dollars.
    pub cost: &'static str,
    /// How long a generation took, in seconds.
    pub generation_time: &'static str,
    /// Segmind's id for a call.
    pub request_id: &'static str,
    /// Metadata of an output (format undocumented).
    pub output_metadata: &'static str,
    /// The GPU a generation ran on (format undocumented).
    pub gpu_info: &'static str,
    /// On a 429: when the limit resets.
    pub rate_limit_reset: &'static str,
    /// On a 429: the requests left in the window.
    pub rate_limit_remaining: &'static str,
}

/// One operation of the protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Operation {
    /// `GET` or `POST`.
    pub method: &'static str,
    /// The path template; `{request_id}` is a whole segment.
    pub path: &'static str,
    /// The server it lives on, when it is not [`ApiInfo::base_url`].
    pub server: Option<&'static str>,
}

/// What a successful synchronous call returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResponseKind {
    /// The image bytes.
    Image,
    /// The image bytes, or a JSON document carrying the image.
    JsonOrImage,
}

/// A documented price range in US dollars.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Price {
    /// Cheapest generation.
    pub min_usd: f64,
    /// Most expensive generation.
    pub max_usd: f64,
}

/// One member of a request.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct FieldInfo {
    /// The JSON member name.
    pub name: &'static str,
    /// What it does.
    pub doc: &'static str,
    /// Whether the request must have it.
    pub required: bool,
    /// The server's default, as text.
    pub default: Option<&'static str>,
    /// What values look like.
    pub shape: FieldShape,
    /// For a choice whose every value names a width and a height (an
    /// output resolution), those sizes, in the order of the values.
    pub sizes: Option<&'static [(u32, u32)]>,
}

impl FieldInfo {
    /// The wire value of this choice member that `text` names: a value in
    /// any case, or for a member of sizes whose values each name a size of
    /// their own, the size in any spelling (`1024x768`, `RESOLUTION_1024_768`,
    /// `1024×768`). `None` when the member is not a choice.
    ///
    /// ```
    /// use segmind_ideogram::IDEOGRAM_TXT_2_IMG;
    ///
    /// let resolution = IDEOGRAM_TXT_2_IMG.field("resolution").unwrap();
    /// assert_eq!(resolution.choice("1280x720").unwrap(), Ok("RESOLUTION_1280_720"));
    /// let style = IDEOGRAM_TXT_2_IMG.field("style_type").unwrap();
    /// assert_eq!(style.choice("design").unwrap(), Ok("DESIGN"));
    /// let error = style.choice("DESING").unwrap().unwrap_err();
    /// assert_eq!(error.closest, ["DESIGN"]);
    /// ```
    pub fn choice(&self, text: &str) -> Option<Result<&'static str, ParseEnumError>> {
        let FieldShape::Choice(values) = self.shape else {
            return None;
        };
        let trimmed = text.trim();
        if let Some(value) = values.iter().find(|v| v.eq_ignore_ascii_case(trimmed)) {
            return Some(Ok(value));
        }
        Some(match self.sizes {
            Some(sizes) => exact_size(trimmed, values, sizes)
                .ok_or_else(|| ParseEnumError::of_size(self.name, trimmed, values, sizes)),
            None => Err(ParseEnumError::new(self.name, trimmed, values)),
        })
    }
}

/// The kind of value a member takes, for generic request builders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FieldShape {
    /// Free text.
    Text,
    /// An absolute URI.
    Uri,
    /// An integer, with inclusive bounds.
    Integer {
        /// Smallest valid value.
        min: Option<i64>,
        /// Largest valid value.
        max: Option<i64>,
    },
    /// A number.
    Number,
    /// `true` or `false`.
    Bool,
    /// One of these wire values.
    Choice(&'static [&'static str]),
    /// A list of values of one shape.
    List(&'static FieldShape),
    /// A JSON object or union (given as JSON).
    Json,
}
