//! A typed, validated client for the Ideogram image models hosted on
//! [Segmind](https://www.segmind.com).
//!
//! Request types, enums and validators are generated from the OpenAPI spec
//! in `spec/` (see [`generated`]); the runtime around them is hand-written.
//!
//! ```
//! use segmind_ideogram::{IdeogramTxt2ImgRequest, Seed, V2Resolution, Validate};
//!
//! let request = IdeogramTxt2ImgRequest::new("a panda in a spacesuit")
//!     .resolution(V2Resolution::Resolution1024_1024)
//!     .seed(Seed::new(4242)?);
//! request.validate()?;
//! assert_eq!(
//!     serde_json::to_string(&request)?,
//!     r#"{"prompt":"a panda in a spacesuit","resolution":"RESOLUTION_1024_1024","seed":4242}"#
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

mod api_key;
#[cfg(feature = "blocking")]
pub mod blocking;
mod client;
mod config;
pub mod endpoint;
mod error;
#[allow(missing_docs)] // Members without a description in the spec.
#[rustfmt::skip] // Formatted by the generator (prettyplease); `cargo xtask codegen --check` guards it.
pub mod generated;
mod image;
mod poll;
mod response;
mod retry;
pub mod validation;

pub use api_key::ApiKey;
pub use client::Client;
pub use config::{API_KEY_ENV, ClientBuilder, DEFAULT_BASE_URL, DEFAULT_USER_AGENT};
pub use endpoint::{Endpoint, EndpointInfo, FieldInfo, FieldShape, Price, ResponseKind};
pub use error::{ApiErrorKind, Error};
pub use generated::*;
pub use image::{
    GeneratedImage, ImageEncoding, ImageFormat, ImageInput, ImageMetadata, MAX_INPUT_IMAGE_BYTES,
};
pub use poll::{Job, JobHandle, WaitOptions};
pub use retry::RetryPolicy;
pub use validation::{
    FromJson, InvalidValue, ParseEnumError, Rule, Validate, ValidationErrors, Violation,
};

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
