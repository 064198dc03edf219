//! What a failure means, in the terms every caller decides by: did the
//! request reach Segmind, may it have been billed, may it be made again
//! (and when), and does the same fate await every other request of the
//! account. [`Error::outcome`](crate::Error::outcome) gives it; the client's
//! own retries, [`Error::is_retryable`](crate::Error::is_retryable),
//! [`Error::delivery`](crate::Error::delivery) and the command line's
//! batches and exit codes all read it, so they cannot disagree.
//!
//! For an HTTP answer the spec decides (`x-outcomes`, generated into
//! [`OperationKind`](crate::OperationKind)); the rest (nothing sent, a
//! failed job, a missed deadline) is decided in `classify.rs`.

use std::time::Duration;

/// Whether the request an error comes from reached Segmind, after the
/// model of smithy-rs's `SdkError`. Segmind bills every generation and has
/// no idempotency key, so only [`NotSent`](Self::NotSent) is safe to submit
/// again without checking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Delivery {
    /// Nothing reached Segmind: an invalid request or setting, or a
    /// connection that could not be made. (An input image whose upload
    /// failed counts too: the generation was not sent.)
    NotSent,
    /// The request may have reached Segmind: it timed out, or the
    /// connection dropped after it was written.
    MaybeSent,
    /// Segmind answered (with an error status, a failed job, or a body the
    /// client could not use).
    Answered,
    /// A local failure not tied to a request (reading or writing a file).
    Local,
}

/// Whether the request an error comes from was billed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Billing {
    /// Certainly not: nothing was sent, Segmind refused it, the job
    /// failed, or it was a read.
    NotBilled,
    /// Segmind accepted the generation: paid for (a queued job unless it
    /// ends `FAILED`). Its job id or output URL fetches the image.
    Billed,
    /// Nobody knows: Segmind may have done, and billed, the work. Sending
    /// the request again may pay twice; look it up first.
    Unknown,
}

/// Whether, and when, the same request may succeed if it is made again.
/// Whether making it again is *safe* also depends on [`Billing`]: see
/// [`Outcome::is_safe_to_repeat`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Retry {
    /// Making it again changes nothing (or pays again).
    Never,
    /// After a delay: the server's ([`Outcome::retry_after`]) or a backoff.
    Later,
    /// Right away: nothing needs to change first (a wait that ran out).
    AtOnce,
}

/// What an error means for money, for retrying and for a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    delivery: Delivery,
    billing: Billing,
    retry: Retry,
    retry_after: Option<Duration>,
    stops_batch: bool,
}

impl Outcome {
    pub(crate) const fn new(
        delivery: Delivery,
        billing: Billing,
        retry: Retry,
        stops_batch: bool,
    ) -> Self {
        Self {
            delivery,
            billing,
            retry,
            retry_after: None,
            stops_batch,
        }
    }

    pub(crate) const fn waiting(mut self, retry_after: Option<Duration>) -> Self {
        self.retry_after = retry_after;
        self
    }

    /// Whether the request reached Segmind.
    pub const fn delivery(&self) -> Delivery {
        self.delivery
    }

    /// Whether the request was billed.
    pub const fn billing(&self) -> Billing {
        self.billing
    }

    /// Whether it may have been billed (billed, or unknown).
    pub const fn may_be_billed(&self) -> bool {
        !matches!(self.billing, Billing::NotBilled)
    }

    /// Whether, and when, it may succeed if made again.
    pub const fn retry(&self) -> Retry {
        self.retry
    }

    /// How long the server asked to wait first, if it did.
    pub const fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// Whether it may succeed if made again ([`Retry::Later`] or
    /// [`Retry::AtOnce`]).
    pub const fn is_retryable(&self) -> bool {
        !matches!(self.retry, Retry::Never)
    }

    /// Whether it may be made again without looking anything up: it may
    /// succeed, and it was certainly not billed. The client repeats a
    /// request by itself only then.
    pub const fn is_safe_to_repeat(&self) -> bool {
        self.is_retryable() && matches!(self.billing, Billing::NotBilled)
    }

    /// Whether a batch should stop at this: Segmind refused the request
    /// for a reason the same answer awaits every other request of the
    /// account with (a wrong key, a forbidden or retired model, no credits,
    /// a team spend limit). Failures of the caller's own making (an
    /// invalid request, a setting, a stopped client) are not.
    pub const fn is_fatal_for_batch(&self) -> bool {
        self.stops_batch
    }
}
