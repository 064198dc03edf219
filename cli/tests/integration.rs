//! The `ideogram` binary's tests.
//!
//! One binary, each module one file that used to be a test binary of its
//! own: each linked the whole dependency tree, and together they filled
//! CI's disk.

mod batch;
mod commands;
mod common;
mod exit_codes;
mod no_overwrite;
mod real_answers;
mod usability;
