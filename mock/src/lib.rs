//! A local stand-in for Segmind's Ideogram API, driven by the generated
//! endpoint registry: every endpoint of the spec is served, and requests are
//! checked with the same generated validators the client uses.
//!
//! It speaks the protocol as Segmind does: `POST /v1/{slug}` answers a real
//! PNG of the requested resolution (deterministic from prompt and seed) with
//! `x-remaining-credits`; `POST /v2/{slug}` queues a job that goes QUEUED →
//! PROCESSING → COMPLETED on the clock; status and result endpoints answer
//! with absolute URLs; results expire; errors are `{"error": "..."}` with
//! Segmind's status codes. Faults (rate limits, 5xx, latency, failed jobs,
//! dropped connections) are injected from one seed.
//!
//! Use it in tests of code that calls Segmind:
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let server = segmind_ideogram_mock::MockServer::builder()
//!     .api_key("test-key")
//!     .rate_limit_per_minute(50)
//!     .start()
//!     .await?;
//! // Point the client (or the Python SDK, at `server.v1_url()`) at `server.base_url()`.
//! assert_eq!(server.jobs_submitted(), 0);
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

mod config;
mod handlers;
mod picture;
mod reply;
mod server;
mod state;

pub use config::{Faults, MockConfig};
pub use server::{MockBuilder, MockServer};
pub use state::{Accepted, JobStats, Mode};

// The workspace README's examples use the client, the mock and tokio: this
// crate sees all three, so they are compiled (and the offline ones run) here.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
