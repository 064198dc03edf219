//! The maintainer commands' tests.
//!
//! One binary, each module one file that used to be a test binary of its
//! own: each linked the whole dependency tree, and together they filled
//! CI's disk.

mod changes;
mod codegen;
mod common;
mod maintainer;
mod sources;
mod wild_sources;
