//! The one place that decides what an [`Error`] means: whether its request
//! reached Segmind, may have been billed, may be made again, and stops a
//! batch. An HTTP answer (an error status, an answer that cannot be read,
//! no answer at all) is classified by the spec's `x-outcomes` for its
//! operation ([`OperationKind`]); the other errors here, each with its
//! reason.

use std::time::Duration;

use crate::error::Error;
use crate::generated::{AnswerClass, OperationKind};
use crate::outcome::{Billing, Delivery, Outcome, Retry};

impl Error {
    /// What this error means for money, for retrying and for a batch.
    ///
    /// ```
    /// use segmind_ideogram::{Billing, Error, OperationKind, Retry};
    ///
    /// // What a 402 to a queued submission means, as the spec says.
    /// let class = OperationKind::Submit.answered(402);
    /// assert_eq!(class.billing(), Billing::NotBilled);
    /// assert_eq!(class.retry(), Retry::Never);
    /// assert!(class.stops_batch());
    /// ```
    pub fn outcome(&self) -> Outcome {
        let answered = |class: AnswerClass| {
            Outcome::new(
                Delivery::Answered,
                class.billing(),
                class.retry(),
                class.stops_batch(),
            )
        };
        let not_sent = |retry: Retry, stops_batch: bool| {
            Outcome::new(Delivery::NotSent, Billing::NotBilled, retry, stops_batch)
        };
        match self {
            Error::Api {
                status,
                operation,
                retry_after,
                ..
            } => answered(operation.answered(*status)).waiting(*retry_after),
            Error::Decode { operation, .. } | Error::BodyTooLarge { operation, .. } => {
                answered(operation.unreadable())
            }
            // A job id Segmind does not know (any more): the spec's 404 of
            // a job's status.
            Error::JobExpired { .. } => answered(OperationKind::JobStatus.answered(404)),
            // The spec's FAILED job (a 422 of its status), whatever the
            // HTTP code of the document that said so.
            Error::JobFailed { .. } => answered(OperationKind::JobStatus.answered(422)),
            // The job goes on; waiting again is free.
            Error::PollTimeout { .. } => {
                Outcome::new(Delivery::Answered, Billing::NotBilled, Retry::AtOnce, false)
            }
            Error::Transport(e) => {
                // Sent, unanswered: a generation may have been billed.
                let class = e
                    .operation()
                    .map_or(AnswerClass::MaybeBilled, OperationKind::unanswered);
                Outcome::new(
                    Delivery::MaybeSent,
                    class.billing(),
                    class.retry(),
                    class.stops_batch(),
                )
            }
            // No connection: nothing was sent; the server may be back soon.
            Error::Connect(_) => not_sent(Retry::Later, false),
            // The upload's own outcome, but the generation was not sent.
            Error::Upload(upload) => {
                let inner = upload.outcome();
                not_sent(inner.retry(), inner.is_fatal_for_batch()).waiting(inner.retry_after())
            }
            // Accepted, so paid for; the job id or URL fetches the image.
            Error::AfterPayment { source, .. } => Outcome::new(
                Delivery::Answered,
                Billing::Billed,
                Retry::Never,
                source.outcome().is_fatal_for_batch(),
            ),
            // What the caller gave or set, a caller's hook that failed, a
            // client the caller stopped: the same call fails again. (Not
            // fatal for a batch: that is for Segmind refusing the account.)
            Error::InvalidRequest(_)
            | Error::InvalidValue(_)
            | Error::InvalidJobId { .. }
            | Error::ImageInput(_)
            | Error::Unsupported(_)
            | Error::InsecureBaseUrl { .. }
            | Error::Config(_)
            | Error::BeforeSend(_)
            | Error::Interrupted => not_sent(Retry::Never, false),
            Error::Io { .. } => {
                Outcome::new(Delivery::Local, Billing::NotBilled, Retry::Never, false)
            }
        }
    }

    /// Whether the request this error comes from reached Segmind:
    /// [`outcome`](Self::outcome)'s delivery.
    pub fn delivery(&self) -> Delivery {
        self.outcome().delivery()
    }

    /// Whether the same call may succeed if made again:
    /// [`outcome`](Self::outcome)'s [`Outcome::is_retryable`]. Rate
    /// limits, a read that failed on the way, a lost connection, a missed
    /// wait deadline; never after payment ([`Error::AfterPayment`]: fetch
    /// the job instead).
    ///
    /// This does not say it is free to repeat: a generation whose fate is
    /// unknown (a 5xx, a timeout) is retryable but may have been billed.
    /// [`Outcome::is_safe_to_repeat`] says both; the client repeats a
    /// request by itself only then.
    pub fn is_retryable(&self) -> bool {
        self.outcome().is_retryable()
    }

    /// How long the server asked to wait before trying again.
    pub fn retry_after(&self) -> Option<Duration> {
        self.outcome().retry_after()
    }
}
