//! The public side of validation: the rules of the spec, a broken rule
//! and where it is, and the errors that carry them.

use std::fmt;

use super::checks::Path;

/// A rule of the spec that a value breaks.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Rule {
    /// A required member is missing.
    Required,
    /// A member the schema does not define.
    UnknownField,
    /// The JSON value has the wrong type.
    Type {
        /// The JSON type the schema asks for.
        expected: &'static str,
    },
    /// Below the minimum.
    Minimum {
        /// The smallest valid value.
        min: f64,
    },
    /// Above the maximum.
    Maximum {
        /// The largest valid value.
        max: f64,
    },
    /// A string that does not match the schema's pattern.
    Pattern {
        /// The regular expression.
        pattern: &'static str,
    },
    /// A string that is not of the schema's format.
    Format {
        /// The format's name (`uri`).
        format: &'static str,
    },
    /// Not one of an enum's values.
    Enum {
        /// The enum's Rust type name.
        type_name: &'static str,
        /// The value that was given.
        found: String,
    },
    /// Too few array items.
    MinItems {
        /// The smallest valid length.
        min: usize,
    },
    /// Too many array items.
    MaxItems {
        /// The largest valid length.
        max: usize,
    },
    /// A value that matches none (or more than one) of a union's variants.
    OneOf {
        /// The union's Rust type name.
        type_name: &'static str,
        /// How many variants matched.
        matched: usize,
    },
    /// Two arrays that may not both be non-empty.
    NotBothNonEmpty {
        /// The first member.
        first: &'static str,
        /// The second member.
        second: &'static str,
    },
}

impl Rule {
    /// A stable, machine-readable name for the rule (`maximum`, `pattern`, …),
    /// as used by the examples in `spec/examples/`.
    pub fn code(&self) -> &'static str {
        match self {
            Rule::Required => "required",
            Rule::UnknownField => "unknown_field",
            Rule::Type { .. } => "type",
            Rule::Minimum { .. } => "minimum",
            Rule::Maximum { .. } => "maximum",
            Rule::Pattern { .. } => "pattern",
            Rule::Format { .. } => "format",
            Rule::Enum { .. } => "enum",
            Rule::MinItems { .. } => "min_items",
            Rule::MaxItems { .. } => "max_items",
            Rule::OneOf { .. } => "one_of",
            Rule::NotBothNonEmpty { .. } => "not_both_non_empty",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::Required => f.write_str("is required"),
            Rule::UnknownField => f.write_str("is not a member of this request"),
            Rule::Type { expected } => write!(f, "must be {}", with_article(expected)),
            Rule::Minimum { min } => write!(f, "must be at least {min}"),
            Rule::Maximum { max } => write!(f, "must be at most {max}"),
            Rule::Pattern { pattern } => write!(f, "must match {pattern}"),
            Rule::Format { format } => write!(f, "must be a valid {format}"),
            Rule::Enum { type_name, found } => {
                write!(f, "`{found}` is not a {type_name} value")
            }
            Rule::MinItems { min } => write!(f, "must have at least {min} items"),
            Rule::MaxItems { max } => write!(f, "must have at most {max} items"),
            Rule::OneOf {
                type_name,
                matched: 0,
            } => write!(f, "matches no form of {type_name}"),
            Rule::OneOf { type_name, matched } => {
                write!(
                    f,
                    "matches {matched} forms of {type_name}; exactly one must match"
                )
            }
            Rule::NotBothNonEmpty { first, second } => {
                write!(f, "`{first}` and `{second}` cannot both be non-empty")
            }
        }
    }
}

fn with_article(noun: &str) -> String {
    let article = if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {noun}")
}

/// One broken rule and where.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// Dotted path of the value (`color_palette.members[2].color_hex`); empty
    /// for a rule about the whole request.
    pub path: String,
    /// The rule it breaks.
    pub rule: Rule,
}

impl Violation {
    /// A violation of `rule` at `path`.
    pub(crate) fn new(path: &Path<'_>, rule: Rule) -> Self {
        Self {
            path: path.to_string(),
            rule,
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "request: {}", self.rule)
        } else {
            write!(f, "{}: {}", self.path, self.rule)
        }
    }
}

/// Every violation found in a request (never empty).
#[derive(Debug, Clone, PartialEq)]
pub struct ValidationErrors {
    pub(super) violations: Vec<Violation>,
}

impl ValidationErrors {
    /// `Ok` when `violations` is empty.
    pub fn check(violations: Vec<Violation>) -> Result<(), Self> {
        if violations.is_empty() {
            Ok(())
        } else {
            Err(Self { violations })
        }
    }

    /// The violations, in the order the request's members are declared.
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// The violations, by value.
    pub fn into_violations(self) -> Vec<Violation> {
        self.violations
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.violations.len();
        write!(
            f,
            "invalid request ({n} violation{}): ",
            if n == 1 { "" } else { "s" }
        )?;
        for (i, v) in self.violations.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{v}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}

impl From<Violation> for ValidationErrors {
    fn from(violation: Violation) -> Self {
        Self {
            violations: vec![violation],
        }
    }
}

/// A value rejected by a constrained type's constructor (`Seed::new(5)`).
#[derive(Debug, Clone, PartialEq)]
pub struct InvalidValue {
    /// The type that refused the value.
    pub type_name: &'static str,
    /// The rule the value breaks.
    pub rule: Rule,
}

impl InvalidValue {
    /// `type_name` refused a value for breaking `rule`.
    pub fn new(type_name: &'static str, rule: Rule) -> Self {
        Self { type_name, rule }
    }
}

impl fmt::Display for InvalidValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {}: {}", self.type_name, self.rule)
    }
}

impl std::error::Error for InvalidValue {}

/// A string that is not a value of an enum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseEnumError {
    /// The enum's Rust type name.
    pub type_name: &'static str,
    /// The string that was given.
    pub found: String,
}

impl ParseEnumError {
    /// `found` is not a value of `type_name`.
    pub fn new(type_name: &'static str, found: &str) -> Self {
        Self {
            type_name,
            found: found.to_owned(),
        }
    }
}

impl fmt::Display for ParseEnumError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not a {} value", self.found, self.type_name)
    }
}

impl std::error::Error for ParseEnumError {}

impl From<ParseEnumError> for InvalidValue {
    fn from(error: ParseEnumError) -> Self {
        InvalidValue::new(
            error.type_name,
            Rule::Enum {
                type_name: error.type_name,
                found: error.found,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_well() {
        let v = Violation {
            path: "seed".into(),
            rule: Rule::Maximum { max: 999_999.0 },
        };
        assert_eq!(v.to_string(), "seed: must be at most 999999");
        let e = ValidationErrors::check(vec![v.clone(), v]).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("invalid request (2 violations): seed")
        );
        assert_eq!(
            Rule::Type {
                expected: "integer"
            }
            .to_string(),
            "must be an integer"
        );
    }
}
