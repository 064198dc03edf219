//! The client's tests that need nothing but the client.
//!
//! One binary, each module one file that used to be a test binary of its
//! own: each linked the whole dependency tree, and together they filled
//! CI's disk.

mod common;
mod errors;
mod hostile;
mod jobs;
mod module_graph;
mod real_answers;
mod retry;
mod sync_run;
