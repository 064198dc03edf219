//! The traits every generated input type implements: `Validate` (rules a
//! Rust type cannot carry) and `FromJson` (a raw payload, with every
//! violation), and `FromJson` for the JSON types they are built from.

use serde_json::Value;

use super::checks::{
    Path, integer_from_json, number_from_json, record, string_from_json, type_error,
};
use super::violation::{Rule, ValidationErrors, Violation};

/// Rules a value's Rust type cannot carry: formats, array lengths and
/// cross-field rules. Constrained scalars and enums are checked when they are
/// built, so a typed request only needs this.
///
/// Implemented by the generated types; `validate_at` is the generator's
/// hook and not public API.
pub trait Validate {
    /// Appends every violation under `path` to `errors`.
    #[doc(hidden)]
    fn validate_at(&self, path: &Path<'_>, errors: &mut Vec<Violation>);

    /// Every violation, or `Ok`.
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = Vec::new();
        self.validate_at(&Path::Root, &mut errors);
        ValidationErrors::check(errors)
    }
}

/// Parsing a raw JSON value while collecting every violation, with its path,
/// instead of stopping at the first as `serde` does. The generated types'
/// `Deserialize` goes through it too, so both accept the same payloads.
///
/// Implemented by the generated types; `from_json_at` is the generator's
/// hook and not public API.
pub trait FromJson: Sized {
    /// Parses `value` at `path`; `None` when it is invalid (the reasons are in `errors`).
    #[doc(hidden)]
    fn from_json_at(value: &Value, path: &Path<'_>, errors: &mut Vec<Violation>) -> Option<Self>;

    /// Parses a whole payload: the value, or every violation.
    fn from_json(value: &Value) -> Result<Self, ValidationErrors> {
        let mut errors = Vec::new();
        let parsed = Self::from_json_at(value, &Path::Root, &mut errors);
        match parsed {
            Some(parsed) if errors.is_empty() => Ok(parsed),
            _ => {
                debug_assert!(!errors.is_empty(), "an invalid value must say why");
                Err(ValidationErrors { violations: errors })
            }
        }
    }

    /// Parses a payload from JSON text; malformed JSON is one violation at the root.
    fn from_json_str(text: &str) -> Result<Self, ValidationErrors> {
        match serde_json::from_str::<Value>(text) {
            Ok(value) => Self::from_json(&value),
            Err(_) => Err(Violation::new(
                &Path::Root,
                Rule::Type {
                    expected: "JSON object",
                },
            )
            .into()),
        }
    }
}

impl FromJson for String {
    fn from_json_at(value: &Value, path: &Path<'_>, errors: &mut Vec<Violation>) -> Option<Self> {
        string_from_json(value, path, errors).map(str::to_owned)
    }
}

impl FromJson for i64 {
    fn from_json_at(value: &Value, path: &Path<'_>, errors: &mut Vec<Violation>) -> Option<Self> {
        let n = integer_from_json(value, path, errors)?;
        record(
            i64::try_from(n).map_err(|_| Rule::Type {
                expected: "integer",
            }),
            path,
            errors,
        )
    }
}

impl FromJson for f64 {
    fn from_json_at(value: &Value, path: &Path<'_>, errors: &mut Vec<Violation>) -> Option<Self> {
        number_from_json(value, path, errors)
    }
}

impl FromJson for bool {
    fn from_json_at(value: &Value, path: &Path<'_>, errors: &mut Vec<Violation>) -> Option<Self> {
        match value {
            Value::Bool(b) => Some(*b),
            _ => type_error(path, errors, "boolean"),
        }
    }
}

impl FromJson for Value {
    fn from_json_at(value: &Value, _path: &Path<'_>, _errors: &mut Vec<Violation>) -> Option<Self> {
        Some(value.clone())
    }
}

impl<T: FromJson> FromJson for Vec<T> {
    fn from_json_at(value: &Value, path: &Path<'_>, errors: &mut Vec<Violation>) -> Option<Self> {
        let Value::Array(items) = value else {
            return type_error(path, errors, "array");
        };
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            match T::from_json_at(item, &path.index(i), errors) {
                Some(v) => out.push(v),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }
}
