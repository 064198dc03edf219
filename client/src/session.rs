//! What a client and its jobs share: the transport, the job times seen so
//! far, and the default wait. Both [`Client`](crate::Client) and
//! [`Job`](crate::Job) hold it, so neither needs the other.

use crate::transport::Transport;
use crate::wait::{LatencyBook, WaitOptions};

pub(crate) struct Session {
    pub transport: Transport,
    pub latency: LatencyBook,
    pub wait: WaitOptions,
    /// Local input images go inline as `data:` URIs, not through storage.
    pub inline_images: bool,
}
