//! What a failed submission means for the money: certainly not billed,
//! or maybe billed (only the request history can tell); and whether the
//! same answer awaits every other submission (stop submitting).

use segmind_ideogram::{ApiErrorKind, Delivery, Error};

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

/// Whether a failed submission may have been billed.
pub fn billing(error: &Error) -> Billing {
    if error.delivery() == Delivery::NotSent {
        return Billing::NotBilled;
    }
    match error {
        // A 4xx is Segmind refusing the request: not billed. Not a 5xx
        // (a gateway's 504 may hide a queued job), nor a 2xx it could not read.
        Error::Api { status, .. } if (400..500).contains(status) => Billing::NotBilled,
        _ => Billing::Unknown,
    }
}

/// Whether the answer will be the same for every submission of this key
/// and account (a wrong key, no credits, a forbidden or retired model, a
/// spend limit): stop submitting, but keep following what was paid for.
pub fn stops_submissions(error: &Error) -> bool {
    matches!(
        error.api_kind(),
        Some(
            ApiErrorKind::Unauthorized
                | ApiErrorKind::Forbidden
                | ApiErrorKind::InsufficientCredits
                | ApiErrorKind::Gone
        )
    ) || matches!(error, Error::Api { status: 402, .. })
}
