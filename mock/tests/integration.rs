//! The mock's tests.
//!
//! One binary, each module one file that used to be a test binary of its
//! own: each linked the whole dependency tree, and together they filled
//! CI's disk.

mod absurd_settings;
mod account;
mod common;
mod header_timeout;
mod history_faults;
mod key_scoping;
mod pacing;
mod protocol;
mod refusals;
