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
    #[non_exhaustive]
    Pattern {
        /// The regular expression.
        pattern: &'static str,
        /// What a matching string is, in words, from the spec's title and
        /// example (`a hex colour such as #b470b3`), when it says.
        what: Option<&'static str>,
    },
    /// A string shorter than the schema allows (`minLength`).
    MinLength {
        /// The fewest characters.
        min: usize,
    },
    /// A string longer than the schema allows (`maxLength`).
    MaxLength {
        /// The most characters.
        max: usize,
    },
    /// A string that is not of the schema's format.
    Format {
        /// The format's name (`uri`).
        format: &'static str,
    },
    /// Not one of an enum's values.
    #[non_exhaustive]
    Enum {
        /// The enum's Rust type name (or the member's name).
        type_name: &'static str,
        /// The value that was given.
        found: String,
        /// Every value it may take.
        expected: &'static [&'static str],
        /// The values closest to `found`, closest first: similar spellings,
        /// or for sizes the nearest sizes.
        closest: Vec<&'static str>,
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
            Rule::MinLength { .. } => "min_length",
            Rule::MaxLength { .. } => "max_length",
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
            Rule::Pattern {
                what: Some(what), ..
            } => write!(f, "must be {what}"),
            Rule::Pattern { pattern, .. } => write!(f, "must match {pattern}"),
            Rule::MinLength { min: 1 } => f.write_str("must not be empty"),
            Rule::MinLength { min } => write!(f, "must be at least {min} characters long"),
            Rule::MaxLength { max } => write!(f, "must be at most {max} characters long"),
            Rule::Format { format } => write!(f, "must be a valid {format}"),
            Rule::Enum {
                found,
                expected,
                closest,
                ..
            } => not_a_value(f, found, expected, closest),
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

/// Choices listed the way clap lists them: all of a short list, the
/// count and the closest of a long one.
fn not_a_value(
    f: &mut fmt::Formatter<'_>,
    found: &str,
    expected: &[&str],
    closest: &[&str],
) -> fmt::Result {
    if expected.len() <= LISTED {
        write!(
            f,
            "`{found}` is not one of the possible values ({})",
            expected.join(", ")
        )?;
        if !closest.is_empty() {
            write!(f, "; a similar value exists: {}", closest.join(" or "))?;
        }
        return Ok(());
    }
    write!(
        f,
        "`{found}` is not one of the {} possible values",
        expected.len()
    )?;
    match (closest, expected.first()) {
        ([], Some(first)) => write!(f, " (such as {first})"),
        ([], None) => Ok(()),
        (closest, _) => write!(f, "; the closest: {}", closest.join(", ")),
    }
}

/// Choice lists longer than this are not spelled out in messages.
pub const LISTED: usize = 12;

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

impl std::error::Error for Violation {}

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

/// A string that is not a value of an enum, with the values it may take
/// and the closest of them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ParseEnumError {
    /// The enum's Rust type name (or the member's name).
    pub type_name: &'static str,
    /// The string that was given.
    pub found: String,
    /// Every value it may take.
    pub expected: &'static [&'static str],
    /// The values closest to `found`, closest first.
    pub closest: Vec<&'static str>,
}

impl ParseEnumError {
    /// `found` is not one of `expected`, the values of `type_name`; the
    /// closest are those spelled alike.
    pub fn new(type_name: &'static str, found: &str, expected: &'static [&'static str]) -> Self {
        Self {
            type_name,
            found: found.to_owned(),
            expected,
            closest: super::closest::by_spelling(found, expected),
        }
    }

    /// `found` is not one of `expected`, whose values name the sizes
    /// `sizes` (in the same order); the closest are the nearest sizes when
    /// `found` names one (`1000x1000`), else those spelled alike.
    pub fn of_size(
        type_name: &'static str,
        found: &str,
        expected: &'static [&'static str],
        sizes: &'static [(u32, u32)],
    ) -> Self {
        match super::closest::by_size(found, expected, sizes) {
            Some(closest) => Self {
                type_name,
                found: found.to_owned(),
                expected,
                closest,
            },
            None => Self::new(type_name, found, expected),
        }
    }

    /// The broken rule, for a violation.
    pub fn into_rule(self) -> Rule {
        Rule::Enum {
            type_name: self.type_name,
            found: self.found,
            expected: self.expected,
            closest: self.closest,
        }
    }
}

impl fmt::Display for ParseEnumError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        not_a_value(f, &self.found, self.expected, &self.closest)
    }
}

impl std::error::Error for ParseEnumError {}

impl From<ParseEnumError> for InvalidValue {
    fn from(error: ParseEnumError) -> Self {
        InvalidValue::new(error.type_name, error.into_rule())
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
