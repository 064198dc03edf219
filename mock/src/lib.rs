//! A local stand-in for Segmind's Ideogram API, driven by the generated
//! endpoint registry: every endpoint of the spec is served, and requests are
//! checked with the same generated validators the client uses.
//!
//! It speaks the protocol as Segmind does: `POST /v1/{slug}` answers a real
//! PNG of the size the request asks for (deterministic from prompt and seed) with
//! `x-remaining-credits`; `POST /v2/{slug}` queues a job that goes QUEUED →
//! PROCESSING → COMPLETED on the clock; status and result endpoints answer
//! with absolute URLs; results expire; errors are `{"error": "..."}` with
//! Segmind's status codes. Faults (rate limits, 5xx, latency, failed jobs,
//! dropped connections) are injected from one seed.
//!
//! Refusals cost nothing, and the ones that share a status differ by message:
//!
//! | status | when | `error` message |
//! |---|---|---|
//! | 406 | credits run out ([`MockBuilder::initial_credits`]) | `Insufficient credits: add credits to your account to continue` |
//! | 402 | credits run out, for a queued submission, with [`Answers::realistic`] (406 on `/v1`, both with its message) | `Insufficient credits. You have 0.0 credits.` (as captured) |
//! | 406 | the body is not sent as `application/json` | `Content-Type must be application/json` |
//! | 406 | the team spend limit is reached ([`MockBuilder::spend_limit`]) | `Team spend limit reached: ask a team admin to raise the limit to continue` |
//! | 410 | the slug is retired ([`MockBuilder::retired`]) | `Model <slug> has been retired and is no longer available` |
//!
//! The shapes of the answers follow Segmind's docs by default; with
//! [`MockBuilder::realistic`] they follow what Segmind is seen to answer
//! (32-hex ids, images as objects, FAILED answers without `request_id`, the
//! extra metrics and headers), and [`Answers`] changes one shape at a time.
//! Every fact of the protocol (paths, header names, the key's header, the
//! seed's bounds) comes from the spec, through `segmind_ideogram::API`.
//!
//! It says it is a mock: every answer carries
//! [`MOCK_JOB_TIME_HEADER`](segmind_ideogram::MOCK_JOB_TIME_HEADER)
//! (`x-mock-job-ms: 9500-13000`), the configured job time from submission
//! to completion, and `segmind-ideogram` polls the jobs it submits here on
//! that clock instead of a real Segmind job's.
//! [`MockBuilder::announce`]`(false)` hides it, for measuring how a client
//! follows Segmind's jobs.
//!
//! A retired slug stays in the generated registry, so the client still
//! sends it; `segmind-ideogram` reports the 410 as
//! `Error::Api { kind: ApiErrorKind::Gone, .. }`.
//!
//! A job belongs to the key that created it: status, result and the legacy
//! poll route answer any other key 404, as for an unknown id, even when the
//! server accepts every key. An output URL fetched with a key serves only
//! its owner; fetched without one it is public, like a storage URL. Keys
//! are never kept where they could be printed: [`Accepted::key`] is a
//! [`KeyFingerprint`], and the `Debug` of [`MockConfig`] redacts the key.
//!
//! The picture's size follows the request's `output_size()`: its pixels;
//! an aspect ratio at [`BASE_SIDE`] pixels on the longer side (`16x9` is
//! 1024 × 576); the size of the input image it follows, read from the
//! mock's storage or a `data:` URI (scaled down to [`MAX_SIDE`]); and a
//! [`BASE_SIDE`] square for Segmind's unstated default or an input the mock
//! cannot read (a URL elsewhere: the mock fetches nothing).
//!
//! The server bounds what a client can hold: a connection that does not
//! send a complete request head within [`MockBuilder::header_read_timeout`]
//! (10 s) is closed, and the log of accepted requests keeps at most 100,000
//! entries and [`MockBuilder::accepted_log_bytes`] (64 MiB). Any duration
//! setting may be absurd (`Duration::MAX` latencies, TTLs, windows): time
//! arithmetic is checked, and a span past the clock's range means never.
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
//!
//! Code without an async runtime (a test of `segmind_ideogram::blocking`)
//! starts it with [`MockServer::start_blocking`] or
//! [`MockBuilder::start_blocking`]: the server runs on a runtime of its own,
//! which stops when the server is dropped.

#![warn(missing_docs)]

mod accepted;
mod account;
mod admission;
mod answers;
mod builder;
mod clock;
mod config;
mod connections;
mod handlers;
mod history;
mod image_size;
mod key;
mod picture;
mod reply;
mod server;
mod sizes;
mod state;
mod storage;

pub use accepted::{Accepted, Mode};
pub use answers::{Answers, IdStyle, MediaStyle, UploadUrls};
pub use builder::MockBuilder;
pub use config::{Faults, HistoryPaging, MockConfig};
pub use key::KeyFingerprint;
pub use server::MockServer;
pub use sizes::{BASE_SIDE, MAX_SIDE};
pub use state::JobStats;

// The README's examples use the client, the mock and tokio: this crate sees
// all three, so they are compiled (and run) here. The README is packaged.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
