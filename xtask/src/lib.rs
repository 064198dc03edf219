//! The xtask's logic, as a library so tests can run it against a scratch
//! copy of the workspace or an edited copy of the spec.
//!
//! - [`codegen`]: `cargo xtask codegen [--check]`, the generated code.
//! - [`sources`]: `cargo xtask sources [--check]`, the spec against Segmind's pages.
//! - [`changes`]: `cargo xtask changes [--since REV]`, what a spec change means for users.

use std::fmt;
use std::io;
use std::path::PathBuf;

pub mod changes;
mod codegen;
pub mod docs;
pub mod sources;

pub use codegen::{Mode, codegen};

/// Where the spec lives, relative to the workspace root.
pub const SPEC: &str = "spec/segmind-ideogram.openapi.json";
/// Where generated files go, relative to the workspace root.
pub const GENERATED_DIR: &str = "client/src/generated";
/// Where the spec's sources (Segmind's pages, reference lists) live.
pub const SOURCES_DIR: &str = "spec/sources";

#[derive(Debug)]
pub enum Error {
    Io(PathBuf, io::Error),
    /// The generator refused the spec (codegen changes no file then).
    Spec(segmind_ideogram_codegen::CodegenError),
    /// Bad input other than a spec the generator refuses: a malformed
    /// deviation record, a spec at a revision that does not parse, a source
    /// file that is not what its name promises. The text says where.
    Invalid(String),
    /// `git` could not answer.
    Git(String),
    /// `--check` found stale files; the text holds a short diff per file.
    Stale(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(path, e) => write!(f, "{}: {e}", path.display()),
            Error::Spec(e) => write!(f, "{e}\n(no generated file was changed)"),
            Error::Invalid(message) => f.write_str(message),
            Error::Git(message) => write!(f, "git: {message}"),
            Error::Stale(diff) => write!(
                f,
                "generated code is stale; run `cargo xtask codegen` and commit the result\n{diff}"
            ),
        }
    }
}

impl std::error::Error for Error {}

/// Reads a file of the workspace, naming it on failure.
pub(crate) fn read(path: &std::path::Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|e| Error::Io(path.to_owned(), e))
}
