//! The ledger's tests that need nothing but the ledger (those that run
//! against the mock are in `against_mock.rs`).
//!
//! One binary, each module one file that used to be a test binary of its
//! own: each linked the whole dependency tree, and together they filled
//! CI's disk.

mod machine;
