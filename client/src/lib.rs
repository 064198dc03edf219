//! A typed, validated client for the Ideogram image models hosted on
//! [Segmind](https://www.segmind.com).
//!
//! Request types, enums and validators are generated from the OpenAPI spec
//! in `spec/` (see [`generated`]); the runtime around them is hand-written.
//!
//! A request takes its required members in `new` and the rest through
//! setters. Setters take checked values, each one `?` from a plain one
//! ([`Seed::new`], [`V2Resolution::from_size`], [`ColorPalette::parse`];
//! the checked scalars and the enums also have `TryFrom` and `FromStr`), so
//! a value that breaks the spec cannot be built; [`Validate::validate`]
//! checks the rest (an empty prompt, rules across members).
//!
//! ```
//! use segmind_ideogram::{
//!     IdeogramTxt2ImgRequest, PalettePresetName, Seed, V2Resolution, Validate,
//! };
//!
//! let request = IdeogramTxt2ImgRequest::new("a panda in a spacesuit")
//!     .resolution(V2Resolution::from_size(1024, 1024)?)
//!     .seed(Seed::new(4242)?)
//!     .color_palette(PalettePresetName::Pastel);
//! request.validate()?;
//! assert_eq!(
//!     serde_json::to_string(&request)?,
//!     r#"{"prompt":"a panda in a spacesuit","color_palette":{"name":"PASTEL"},"resolution":"RESOLUTION_1024_1024","seed":4242}"#
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Synchronous generation (`/v1`)
//!
//! [`Client::run`] validates the request, sends it, and answers with the
//! image. The key comes from `SEGMIND_API_KEY`.
//!
//! ```no_run
//! use segmind_ideogram::{Client, IdeogramImg2ImgRequest, ImageInput, StyleType};
//!
//! # async fn demo() -> Result<(), segmind_ideogram::Error> {
//! let client = Client::from_env()?;
//! // A local file (or bytes, or a URL); the client uploads it to Segmind's
//! // storage when it sends the request.
//! let sketch = ImageInput::file("sketch.png");
//! let request = IdeogramImg2ImgRequest::new(sketch, "the same sketch as a watercolour")
//!     .style_type(StyleType::Realistic);
//! let image = client.run(&request).await?;
//! // Saved with the extension of the real format: `watercolour.png` for a PNG.
//! let path = image.save("watercolour.png")?;
//! println!("{} ({} bytes, {:?} credits left)", path.display(), image.bytes().len(),
//!     image.metadata().remaining_credits);
//! # Ok(()) }
//! ```
//!
//! # Queued generation (`/v2`)
//!
//! [`Client::submit`] returns a [`Job`] at once; its [`JobHandle`] can be
//! stored and the job followed later, even from another process.
//! [`Client::generate`] does submit, wait and download in one call.
//!
//! ```no_run
//! use std::time::Duration;
//! use segmind_ideogram::{Client, IdeogramTxt2ImgRequest, WaitOptions};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::from_env()?;
//! let job = client.submit(&IdeogramTxt2ImgRequest::new("a lighthouse at dusk")).await?;
//! let stored = serde_json::to_string(job.handle())?;
//!
//! // Later, maybe elsewhere:
//! let job = client.resume(serde_json::from_str(&stored)?)?;
//! let result = job
//!     .wait_with(WaitOptions::new().timeout(Duration::from_secs(300)))
//!     .await?;
//! let image = job.output_image(&result).await?;
//! image.save("lighthouse")?;
//! # Ok(()) }
//! ```
//!
//! With the `blocking` feature, `blocking::Client` offers the same calls
//! without async.
//!
//! # Errors
//!
//! Every call returns [`Error`]. Invalid requests never leave the machine.
//! [`Error::outcome`] says what a failure means, in one [`Outcome`]:
//! whether the request reached Segmind ([`Delivery`]), whether it may have
//! been billed ([`Billing`]), whether and when it may be made again
//! ([`Retry`]), and whether a batch should stop. Segmind bills every
//! generation and has no idempotency key, so the client repeats a request
//! by itself only when it was certainly not billed: a connection that
//! failed before anything was written, a 429, or a read (status, result,
//! credits, history) answered 5xx, lost, or answered with nonsense, as the
//! [`RetryPolicy`] allows. For an HTTP answer the spec decides: each answer
//! of each operation has its class ([`OperationKind::answered`],
//! [`AnswerClass`]), generated from the spec's `x-outcomes`.
//!
//! # Bounds
//!
//! Nothing the server controls is trusted: bodies are read as a stream
//! against a cap ([`ClientBuilder::max_image_bytes`],
//! [`ClientBuilder::max_json_bytes`]; past it, [`Error::BodyTooLarge`]);
//! a wait's deadline bounds every poll, even one that hangs; waits the
//! server asks for are capped by [`RetryPolicy::max_server_delay`]; the key
//! is redacted from server text before it is kept.
//!
//! ```no_run
//! use segmind_ideogram::{ApiErrorKind, Client, Error, IdeogramTxt2ImgRequest};
//!
//! # async fn demo(client: Client) {
//! match client.run(&IdeogramTxt2ImgRequest::new("a cat")).await {
//!     Ok(image) => println!("got a {}", image.format()),
//!     Err(Error::InvalidRequest(errors)) => {
//!         for violation in errors.violations() {
//!             eprintln!("{violation}");
//!         }
//!     }
//!     Err(Error::Api { kind: ApiErrorKind::InsufficientCredits, .. }) => {
//!         eprintln!("top up your Segmind credits");
//!     }
//!     Err(err) if err.is_retryable() => {
//!         eprintln!("try again in {:?}: {err}", err.retry_after());
//!     }
//!     Err(err) => eprintln!("failed: {err}"),
//! }
//! # }
//! ```
//!
//! # Features
//!
//! - `rustls` (default): TLS through rustls.
//! - `native-tls`: TLS through the platform's library; additive.
//! - `blocking`: `blocking::Client`, the same API without async.
//! - `schemars`: JSON Schemas of the generated types.

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

// Layers, each using only those above it: input (held by the generated
// requests), outcome (read by the generated classes of answers), palette
// (text forms of the generated palettes), error,
// classify, api_key, protocol, retry, wait, pace, config, body, image,
// save, media, decode, transport, upload, session, poll, client, account,
// blocking. A test (tests/module_graph.rs) keeps it that way.
mod account;
mod api_key;
#[cfg(feature = "blocking")]
#[cfg_attr(docsrs, doc(cfg(feature = "blocking")))]
pub mod blocking;
mod body;
mod classify;
mod client;
mod config;
mod decode;
pub mod endpoint;
mod error;
#[allow(missing_docs)] // Members without a description in the spec.
#[rustfmt::skip] // Formatted by the generator (prettyplease); `cargo xtask codegen --check` guards it.
pub mod generated;
mod image;
mod input;
mod media;
mod outcome;
mod output_size;
mod pace;
mod palette;
mod poll;
mod protocol;
mod retry;
mod save;
mod session;
mod tls;
mod transport;
mod upload;
pub mod validation;
mod wait;

pub use account::{HistoryPage, HistoryQuery};
pub use api_key::ApiKey;
pub use client::Client;
pub use config::{
    API_KEY_ENV, ClientBuilder, DEFAULT_BASE_URL, DEFAULT_MAX_IMAGE_BYTES, DEFAULT_MAX_JSON_BYTES,
    DEFAULT_USER_AGENT,
};
#[doc(inline)]
pub use endpoint::{
    ApiInfo, Endpoint, EndpointInfo, FieldInfo, FieldShape, Operation, Price, ResponseHeaders,
    ResponseKind,
};
pub use error::{ApiErrorKind, BodyKind, Error, TransportError};
// Inlined: the front page lists every request, enum and value type.
#[doc(inline)]
pub use generated::*;
pub use image::{GeneratedImage, ImageEncoding, ImageFormat, ImageMetadata, MAX_INPUT_IMAGE_BYTES};
pub use input::ImageInput;
pub use outcome::{Billing, Delivery, Outcome, Retry};
pub use output_size::OutputSize;
pub use pace::Pacer;
pub use poll::{Job, JobHandle};
pub use retry::{MAX_REPORTED_SERVER_DELAY, RetryPolicy};
#[doc(inline)]
pub use validation::{
    FromJson, InvalidValue, ParseEnumError, Rule, SizeError, Validate, ValidationErrors, Violation,
};
pub use wait::{JobUpdate, MOCK_JOB_TIME_HEADER, WaitOptions};

/// Support for the workspace's own benchmarks and generated code; not
/// public API, and may change in any release.
#[doc(hidden)]
pub mod __private {
    pub use crate::validation::checks::*;

    /// The value of [`MOCK_JOB_TIME_HEADER`](crate::MOCK_JOB_TIME_HEADER)
    /// for jobs that take `low` to `high` from submission to completion:
    /// what the mock server announces, in the form the client reads.
    pub fn mock_job_time(low: std::time::Duration, high: std::time::Duration) -> String {
        crate::wait::Estimate::announcement(low, high)
    }

    /// Reads a response body as the client does: streamed against `cap`.
    pub async fn read_capped(
        response: &mut reqwest::Response,
        cap: u64,
    ) -> Result<bytes::Bytes, String> {
        match crate::body::read(response, cap, crate::body::Overflow::Fail).await {
            Ok(body) => Ok(body.bytes),
            Err(crate::body::ReadError::TooLarge) => Err(format!("over the {cap}-byte cap")),
            Err(crate::body::ReadError::Transport(e)) => Err(e.to_string()),
        }
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

// The README's examples are compiled here (the offline ones run); the
// README is packaged with the crate.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
