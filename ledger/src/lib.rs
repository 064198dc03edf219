//! A durable spend ledger for Segmind's Ideogram endpoints: the money
//! guarantees of `ideogram batch`, for any crate that generates images
//! for its users.
//!
//! Segmind bills every generation and has no idempotency key: a second
//! POST is a second bill. The ledger records every paid request as a
//! sequence of events (intent, each attempt right before it is sent, the
//! job id, the outcome and its cost) in a durable store, and moves each
//! request's state with one pure function, [`state::apply`], both live and
//! when a restarted process replays the store. So:
//!
//! - a request is never submitted again while an earlier attempt of it may
//!   have reached Segmind, or while its job is followed;
//! - a job id, once known, is never forgotten (its image is fetched after
//!   a crash, a failed download, a full disk, an edited input);
//! - money is whole micro-dollars ([`Usd`]); spent and reserved money are
//!   derived from the states, and a budget is never passed by more than
//!   one job's real cost, even when Segmind's prices differ from the
//!   documented ones ([`Budget`]);
//! - an attempt whose answer was lost is looked up in Segmind's request
//!   history ([`Ledger::reconcile`]), which concludes "absent" (submit
//!   again) only on proof, and says "unknown" whenever the evidence is weak
//!   (a clock skew it cannot measure, paging that does not add up, a row
//!   that may be the request recorded differently).
//!
//! ```no_run
//! use segmind_ideogram::{AnyRequest, Client, IdeogramTxt2ImgRequest};
//! use segmind_ideogram_ledger::{Budget, Ledger, Submission, Usd, files};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::from_env()?;
//! let ledger = Ledger::open_file("spend.jsonl", Budget::at_most(Usd::dollars(20)))?;
//!
//! // After a crash: attempts sent without a recorded answer.
//! let dangling = ledger.dangling(&|_| None);
//! for (key, verdict) in ledger.reconcile(&client, &dangling, std::time::Duration::from_secs(60)).await? {
//!     println!("{key}: {verdict:?}");
//! }
//!
//! let request = AnyRequest::from(IdeogramTxt2ImgRequest::new("a lighthouse at dusk"));
//! let key = Ledger::key("order-1234", &request)?; // your name for the work
//! let ticket = ledger.begin(key.clone(), &request)?; // reserved and recorded
//! match ledger.submit(&client, ticket).await {
//!     Submission::Accepted(job) => {
//!         let result = job.wait().await?;
//!         let image = job.output_image(&result).await?;
//!         let path = files::save_durably(&image, "order-1234.png".as_ref())?;
//!         let cost = result.metrics.as_ref().and_then(|m| m.cost);
//!         ledger.done(&key, job.request_id(), cost, &path.display().to_string(), None)?;
//!     }
//!     Submission::NotSent(error) => eprintln!("not billed: {error}"),
//!     Submission::Uncertain(error) => eprintln!("maybe billed; reconcile later: {error}"),
//!     Submission::Unrecorded { error, job_id } => eprintln!("{error} (job {job_id:?})"),
//! }
//! # Ok(()) }
//! ```
//!
//! # Cancellation
//!
//! Dropping [`Ledger::submit`]'s future is safe: before an attempt was
//! sent the reservation goes back; after, the attempt is recorded
//! `uncertain`, the key cannot be submitted again, and
//! [`Ledger::reconcile`] later finds its job or proves it absent.
//!
//! # Stores
//!
//! [`JsonlStore`] (the default: one JSON record per line, readable with any
//! text tool) and, with the `sqlite` feature, `store::sqlite::SqliteStore`.
//! [`Store`] says what a store of your own must guarantee.

#![warn(missing_docs)]

pub mod book;
pub mod budget;
pub mod compact;
pub mod event;
pub mod files;
pub mod history;
pub mod key;
mod ledger;
pub mod outcome;
pub mod reconcile;
pub mod runner;
pub mod state;
pub mod store;
mod usd;

pub use book::Book;
pub use budget::{Budget, Hold};
pub use compact::{JobId, Slug};
pub use event::{At, Event};
pub use key::{Fingerprint, Key};
pub use ledger::{Ledger, LedgerError, Money, SharedLedger, Submission, Ticket};
pub use reconcile::{Attempt, Verdict};
pub use runner::{Item, Outcome, Report, Runner, Settings, Stop, Summary, Tally};
pub use state::{Attempting, Extra, LineState, Phase, Refusal, apply};
pub use store::{JsonlStore, Repairs, Store, StoreError};
pub use usd::{MAX_AMOUNT, Usd};

// The README's examples are compiled here; the README is packaged with the
// crate.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
