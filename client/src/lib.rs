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

pub mod endpoint;
#[allow(missing_docs)] // Members without a description in the spec.
#[rustfmt::skip] // Formatted by the generator (prettyplease); `cargo xtask codegen --check` guards it.
pub mod generated;
pub mod validation;

pub use endpoint::{Endpoint, EndpointInfo, FieldInfo, FieldShape, Price, ResponseKind};
pub use generated::*;
pub use validation::{
    FromJson, InvalidValue, ParseEnumError, Rule, Validate, ValidationErrors, Violation,
};

#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
