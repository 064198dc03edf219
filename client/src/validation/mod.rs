//! Validation of requests: the rules of the spec and the violations that
//! name them with their path, the `Validate` and `FromJson` traits the
//! generated types implement, and (not public API) the checks the
//! generated code calls, re-exported as `crate::__private`.

pub(crate) mod checks;
mod closest;
mod size;
mod traits;
mod violation;

pub(crate) use checks::Path;
pub(crate) use closest::exact_size;
pub use size::SizeError;
pub use traits::{FromJson, Validate};
pub use violation::{InvalidValue, ParseEnumError, Rule, ValidationErrors, Violation};
