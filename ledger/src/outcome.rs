//! What a failed submission means for the money: certainly not billed,
//! or maybe billed (only the request history can tell); and whether the
//! same answer awaits every other submission (stop submitting).

use segmind_ideogram::Error;

/// What became of a submission that did not return a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Billing {
    /// Nothing reached Segmind, or Segmind refused it without billing:
    /// it may be submitted again.
    NotBilled,
    /// It may have reached Segmind and been queued (a 5xx, a timeout, a
    /// dropped connection, an answer that could not be read): ask the
    /// request history before anything else.
    Unknown,
}

/// Whether a failed submission may have been billed: the client's one
/// classification ([`Error::outcome`]), which the spec drives.
pub fn billing(error: &Error) -> Billing {
    match error.outcome().billing() {
        segmind_ideogram::Billing::NotBilled => Billing::NotBilled,
        _ => Billing::Unknown,
    }
}

/// Whether the answer will be the same for every submission of this key
/// and account (a wrong key, no credits, a forbidden or retired model, a
/// spend limit): stop submitting, but keep following what was paid for.
/// The client's one classification decides ([`Error::outcome`]).
pub fn stops_submissions(error: &Error) -> bool {
    error.outcome().is_fatal_for_batch()
}
