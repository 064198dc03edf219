//! The generator's tests.
//!
//! One binary, each module one file that used to be a test binary of its
//! own: each linked the whole dependency tree, and together they filled
//! CI's disk.

mod common;
mod malformed_spec;
mod new_endpoint;
mod outcomes;
mod output_shapes;
