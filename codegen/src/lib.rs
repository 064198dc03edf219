//! The Segmind Ideogram code generator: spec JSON → intermediate model →
//! Rust tokens → formatted source. A pure library: it reads a string and
//! returns strings; writing files is the `xtask`'s job.
//!
//! ```no_run
//! let spec = std::fs::read_to_string("spec/segmind-ideogram.openapi.json").unwrap();
//! for file in segmind_ideogram_codegen::generate(&spec).unwrap() {
//!     println!("{}: {} bytes", file.name, file.contents.len());
//! }
//! ```

mod answer_model;
mod emit;
mod error;
mod members;
pub mod model;
mod naming;
mod node;
mod outcomes;
mod parse;
mod protocol;
mod sizes;

pub use emit::{GeneratedFile, PREAMBLE};
pub use error::CodegenError;
pub use parse::{parse, parse_value};

/// Generates every file of `client/src/generated/` from the spec text.
///
/// Either every file is produced or none is: a spec problem is an error
/// naming its JSON pointer, never a panic and never a partial result.
pub fn generate(spec: &str) -> Result<Vec<GeneratedFile>, CodegenError> {
    let api = parse(spec)?;
    emit::files(&api)
}
