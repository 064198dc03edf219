//! Errors the generator reports: every one names the JSON pointer of the spec
//! node that caused it, so a maintainer can jump straight to the problem.

use std::fmt;

/// A problem in the spec (or one the generator cannot express in Rust).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodegenError {
    /// JSON pointer (RFC 6901) of the offending node; empty for the whole document.
    pub pointer: String,
    /// What is wrong, and where useful what to do about it.
    pub message: String,
}

impl CodegenError {
    pub(crate) fn at(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            pointer: pointer.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for CodegenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pointer = if self.pointer.is_empty() {
            "(document root)"
        } else {
            &self.pointer
        };
        write!(f, "spec error at {pointer}: {}", self.message)
    }
}

impl std::error::Error for CodegenError {}

pub(crate) type Result<T> = std::result::Result<T, CodegenError>;
