//! What the generated registry says about each endpoint. The runtime, the
//! mock server and the CLI read these instead of naming endpoints.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::validation::{FromJson, Validate};

/// A request type of one endpoint. Implemented by the generated code for
/// every request struct; code generic over `E: Endpoint` works for endpoints
/// added to the spec later.
pub trait Endpoint:
    Serialize + DeserializeOwned + FromJson + Validate + Clone + std::fmt::Debug + Send + Sync + 'static
{
    /// The endpoint's metadata.
    const INFO: &'static EndpointInfo;
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
    /// Whether the queued (v2) protocol is available.
    pub supports_async: bool,
    /// Error statuses the document lists for the sync call.
    pub error_statuses: &'static [u16],
    /// The request's members.
    pub fields: &'static [FieldInfo],
}

impl EndpointInfo {
    /// The member called `name`.
    pub fn field(&self, name: &str) -> Option<&'static FieldInfo> {
        self.fields.iter().find(|f| f.name == name)
    }
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
