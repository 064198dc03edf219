//! The intermediate model of Segmind's answers: the response headers the
//! runtime reads, and what each answer of each operation means for money,
//! for retrying and for a batch (`x-outcomes`). Re-exported by
//! [`model`](crate::model).

/// A response header the runtime reads, by what it means
/// (`x-segmind-protocol.headers`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum HeaderRole {
    RemainingCredits,
    Seed,
    Cost,
    GenerationTime,
    RequestId,
    OutputMetadata,
    GpuInfo,
    RateLimitReset,
    RateLimitRemaining,
}

impl HeaderRole {
    pub const ALL: &'static [HeaderRole] = &[
        HeaderRole::RemainingCredits,
        HeaderRole::Seed,
        HeaderRole::Cost,
        HeaderRole::GenerationTime,
        HeaderRole::RequestId,
        HeaderRole::OutputMetadata,
        HeaderRole::GpuInfo,
        HeaderRole::RateLimitReset,
        HeaderRole::RateLimitRemaining,
    ];

    /// The key in the spec, and the field of the generated `ResponseHeaders`.
    pub fn name(self) -> &'static str {
        match self {
            HeaderRole::RemainingCredits => "remaining_credits",
            HeaderRole::Seed => "seed",
            HeaderRole::Cost => "cost",
            HeaderRole::GenerationTime => "generation_time",
            HeaderRole::RequestId => "request_id",
            HeaderRole::OutputMetadata => "output_metadata",
            HeaderRole::GpuInfo => "gpu_info",
            HeaderRole::RateLimitReset => "rate_limit_reset",
            HeaderRole::RateLimitRemaining => "rate_limit_remaining",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|h| h.name() == name)
    }
}

/// A header the spec names, and its (lowercase) wire name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderDef {
    pub role: HeaderRole,
    pub name: String,
}

/// Whether a request whose answer is of a class was billed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Billed {
    Yes,
    No,
    Unknown,
}

/// Whether, and when, a request whose answer is of a class may be made again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryWhen {
    Never,
    Later,
    AtOnce,
}

/// A class of answers (`x-segmind-protocol.outcomes`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeClassDef {
    /// The name in the spec (`refused-for-all`).
    pub name: String,
    /// The Rust variant's name (`RefusedForAll`).
    pub ident: String,
    pub billed: Billed,
    pub retry: RetryWhen,
    /// Whether a batch stops at the first answer of this class.
    pub stops_batch: bool,
    pub description: String,
}

/// The classes of one operation's answers: an index into
/// [`OutcomesDef::classes`] per documented status, per range of the
/// others, and for the two ways an exchange ends without a usable answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeMap {
    /// Every status the operation documents, in the spec's order.
    pub statuses: Vec<(u16, usize)>,
    /// `4XX`: any other client error status.
    pub client_error: usize,
    /// `5XX`: any other server error status.
    pub server_error: usize,
    /// `default`: any other status.
    pub default: usize,
    /// `unanswered`: sent, but no answer came (a timeout, a lost connection).
    pub unanswered: usize,
    /// `unreadable`: a success answer whose body cannot be read.
    pub unreadable: usize,
}

/// What the runtime uses an operation for, as far as its outcomes go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum OperationKind {
    /// Every `/v1/{slug}` call (`x-segmind-endpoint`).
    Sync,
    /// Every `/v2/{slug}` submission.
    Submit,
    /// An operation with `x-segmind-role`.
    Role(crate::model::Role),
    /// A download of an output file (`x-segmind-protocol.output_outcomes`).
    OutputDownload,
}

/// Every class, and every kind of operation's map.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OutcomesDef {
    pub classes: Vec<OutcomeClassDef>,
    pub operations: Vec<(OperationKind, OutcomeMap)>,
}
