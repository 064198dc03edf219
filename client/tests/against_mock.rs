//! The client's tests that run against the mock, a path-only
//! dev-dependency: this target stays out of the package.
//!
//! One binary, each module one file that used to be a test binary of its
//! own: each linked the whole dependency tree, and together they filled
//! CI's disk.

mod announced_clock;
mod blocking;
mod common;
mod images;
