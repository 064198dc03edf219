//! The workspace's tests.
//!
//! One binary, each module one file that used to be a test binary of its
//! own: each linked the whole dependency tree, and together they filled
//! CI's disk.

mod answers;
mod differential;
mod doc_counts;
mod examples;
mod fidelity;
mod generated_api;
mod generated_code;
mod mock_answers;
mod mock_conformance;
mod msrv;
mod outcomes;
mod packaging;
mod protocol_literals;
mod python_sdk;
mod readme_manifest;
mod spec_document;
mod test_targets;
