//! Validation support for the generated types: violations with field paths,
//! the rules they break, and the `FromJson` parser that reports every
//! violation of a raw JSON payload instead of stopping at the first.

use std::fmt;

use regex_lite::Regex;
use serde_json::{Map, Value};

/// Where a value sits inside a request, built on the stack while walking it
/// and rendered (`color_palette.members[2].color_hex`) only when a rule breaks.
#[derive(Debug, Clone, Copy)]
pub enum Path<'a> {
    /// The request itself.
    Root,
    /// A member of an object.
    Field(&'a Path<'a>, &'a str),
    /// An element of an array.
    Index(&'a Path<'a>, usize),
}

impl<'a> Path<'a> {
    /// The member `name` of this value.
    pub fn field(&'a self, name: &'a str) -> Path<'a> {
        Path::Field(self, name)
    }

    /// The element `index` of this array.
    pub fn index(&'a self, index: usize) -> Path<'a> {
        Path::Index(self, index)
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => Ok(()),
            Path::Field(Path::Root, name) => f.write_str(name),
            Path::Field(parent, name) => write!(f, "{parent}.{name}"),
            Path::Index(parent, index) => write!(f, "{parent}[{index}]"),
        }
    }
}

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
    pub fn new(path: &Path<'_>, rule: Rule) -> Self {
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
    violations: Vec<Violation>,
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

/// Rules a value's Rust type cannot carry: formats, array lengths and
/// cross-field rules. Constrained scalars and enums are checked when they are
/// built, so a typed request only needs this.
pub trait Validate {
    /// Appends every violation under `path` to `errors`.
    fn validate_at(&self, path: &Path<'_>, errors: &mut Vec<Violation>);

    /// Every violation, or `Ok`.
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = Vec::new();
        self.validate_at(&Path::Root, &mut errors);
        ValidationErrors::check(errors)
    }
}

/// Parsing a raw JSON value while collecting every violation, with its path,
/// instead of stopping at the first as `serde` does.
pub trait FromJson: Sized {
    /// Parses `value` at `path`; `None` when it is invalid (the reasons are in `errors`).
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
            Err(_) => Err(ValidationErrors {
                violations: vec![Violation::new(
                    &Path::Root,
                    Rule::Type {
                        expected: "JSON object",
                    },
                )],
            }),
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

fn type_error<T>(
    path: &Path<'_>,
    errors: &mut Vec<Violation>,
    expected: &'static str,
) -> Option<T> {
    errors.push(Violation::new(path, Rule::Type { expected }));
    None
}

/// `Ok` as `Some`; `Err(rule)` recorded at `path` as `None`.
pub fn record<T>(
    result: Result<T, Rule>,
    path: &Path<'_>,
    errors: &mut Vec<Violation>,
) -> Option<T> {
    result
        .map_err(|rule| errors.push(Violation::new(path, rule)))
        .ok()
}

/// The object's members, or a type violation.
pub fn object_from_json<'v>(
    value: &'v Value,
    path: &Path<'_>,
    errors: &mut Vec<Violation>,
) -> Option<&'v Map<String, Value>> {
    match value {
        Value::Object(object) => Some(object),
        _ => type_error(path, errors, "object"),
    }
}

/// The string, or a type violation.
pub fn string_from_json<'v>(
    value: &'v Value,
    path: &Path<'_>,
    errors: &mut Vec<Violation>,
) -> Option<&'v str> {
    match value {
        Value::String(s) => Some(s),
        _ => type_error(path, errors, "string"),
    }
}

/// An integer as JSON Schema sees one: any number with no fractional part
/// (`100` and `100.0` alike).
pub fn integer_from_json(
    value: &Value,
    path: &Path<'_>,
    errors: &mut Vec<Violation>,
) -> Option<i128> {
    let Value::Number(n) = value else {
        return type_error(path, errors, "integer");
    };
    if let Some(i) = n.as_i64() {
        return Some(i128::from(i));
    }
    if let Some(u) = n.as_u64() {
        return Some(i128::from(u));
    }
    match n.as_f64() {
        // Exact for every float that reaches here: |f| < 2^127 and integral.
        #[allow(clippy::cast_possible_truncation)]
        Some(f) if f.fract() == 0.0 && f.abs() < 1e38 => Some(f as i128),
        _ => type_error(path, errors, "integer"),
    }
}

/// A finite number, or a type violation.
pub fn number_from_json(
    value: &Value,
    path: &Path<'_>,
    errors: &mut Vec<Violation>,
) -> Option<f64> {
    match value.as_f64() {
        Some(f) if value.is_number() && f.is_finite() => Some(f),
        _ => type_error(path, errors, "number"),
    }
}

/// A string enum value, or a type or enum violation.
pub fn enum_from_json<T>(value: &Value, path: &Path<'_>, errors: &mut Vec<Violation>) -> Option<T>
where
    T: std::str::FromStr<Err = ParseEnumError>,
{
    let text = string_from_json(value, path, errors)?;
    record(
        text.parse::<T>().map_err(|e| Rule::Enum {
            type_name: e.type_name,
            found: e.found,
        }),
        path,
        errors,
    )
}

/// Records every member of `object` that is not in `known`.
pub fn reject_unknown_fields(
    object: &Map<String, Value>,
    known: &[&str],
    path: &Path<'_>,
    errors: &mut Vec<Violation>,
) {
    for key in object.keys() {
        if !known.contains(&key.as_str()) {
            errors.push(Violation::new(&path.field(key), Rule::UnknownField));
        }
    }
}

/// A required member: its value, or a violation (missing or invalid).
pub fn required<T: FromJson>(
    object: &Map<String, Value>,
    key: &str,
    path: &Path<'_>,
    errors: &mut Vec<Violation>,
) -> Option<T> {
    let member_path = path.field(key);
    match object.get(key) {
        Some(value) => T::from_json_at(value, &member_path, errors),
        None => {
            errors.push(Violation::new(&member_path, Rule::Required));
            None
        }
    }
}

/// An optional member: `Some(None)` when absent, `None` when invalid.
pub fn optional<T: FromJson>(
    object: &Map<String, Value>,
    key: &str,
    path: &Path<'_>,
    errors: &mut Vec<Violation>,
) -> Option<Option<T>> {
    match object.get(key) {
        Some(value) => T::from_json_at(value, &path.field(key), errors).map(Some),
        None => Some(None),
    }
}

/// A parser for one variant of a union.
pub type VariantParser<T> = fn(&Value, &Path<'_>, &mut Vec<Violation>) -> Option<T>;

/// `oneOf`: exactly one variant must parse without violations. When none
/// does, the violations of the closest variant (fewest violations) are
/// reported, which names the real mistake rather than "no variant matched".
pub fn one_of<T>(
    value: &Value,
    path: &Path<'_>,
    errors: &mut Vec<Violation>,
    type_name: &'static str,
    variants: &[VariantParser<T>],
) -> Option<T> {
    let mut matched = Vec::new();
    let mut closest: Option<Vec<Violation>> = None;
    for parse in variants {
        let mut attempt = Vec::new();
        match parse(value, path, &mut attempt) {
            Some(v) if attempt.is_empty() => matched.push(v),
            _ => {
                if closest.as_ref().is_none_or(|c| attempt.len() < c.len()) {
                    closest = Some(attempt);
                }
            }
        }
    }
    match matched.len() {
        1 => matched.pop(),
        0 => {
            match closest {
                Some(c) if !c.is_empty() => errors.extend(c),
                _ => errors.push(Violation::new(
                    path,
                    Rule::OneOf {
                        type_name,
                        matched: 0,
                    },
                )),
            }
            None
        }
        n => {
            errors.push(Violation::new(
                path,
                Rule::OneOf {
                    type_name,
                    matched: n,
                },
            ));
            None
        }
    }
}

/// Integer bounds, inclusive.
pub fn check_integer(value: i128, min: Option<i128>, max: Option<i128>) -> Result<(), Rule> {
    #[allow(clippy::cast_precision_loss)] // Bounds of the spec are far below 2^53.
    match (min, max) {
        (Some(lo), _) if value < lo => Err(Rule::Minimum { min: lo as f64 }),
        (_, Some(hi)) if value > hi => Err(Rule::Maximum { max: hi as f64 }),
        _ => Ok(()),
    }
}

/// Number bounds, inclusive; NaN and infinities are not numbers in JSON.
pub fn check_number(value: f64, min: Option<f64>, max: Option<f64>) -> Result<(), Rule> {
    match (min, max) {
        _ if !value.is_finite() => Err(Rule::Type { expected: "number" }),
        (Some(lo), _) if value < lo => Err(Rule::Minimum { min: lo }),
        (_, Some(hi)) if value > hi => Err(Rule::Maximum { max: hi }),
        _ => Ok(()),
    }
}

/// A pattern, with JSON Schema's search (not full-match) semantics; the
/// spec's patterns are anchored.
pub fn check_pattern(value: &str, regex: &Regex, pattern: &'static str) -> Result<(), Rule> {
    if regex.is_match(value) {
        Ok(())
    } else {
        Err(Rule::Pattern { pattern })
    }
}

/// Array length bounds, inclusive.
pub fn check_items(len: usize, min: Option<usize>, max: Option<usize>) -> Result<(), Rule> {
    match (min, max) {
        (Some(lo), _) if len < lo => Err(Rule::MinItems { min: lo }),
        (_, Some(hi)) if len > hi => Err(Rule::MaxItems { max: hi }),
        _ => Ok(()),
    }
}

/// An absolute URI (RFC 3986): a scheme, `:`, and no characters a URI cannot
/// hold. `data:` URIs qualify.
pub fn check_uri(value: &str) -> Result<(), Rule> {
    if is_absolute_uri(value) {
        Ok(())
    } else {
        Err(Rule::Format { format: "uri" })
    }
}

fn is_absolute_uri(value: &str) -> bool {
    let Some((scheme, rest)) = value.split_once(':') else {
        return false;
    };
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    let bytes = rest.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let ok = match b {
            b'%' => {
                let hex = |j: usize| bytes.get(j).is_some_and(u8::is_ascii_hexdigit);
                if !(hex(i + 1) && hex(i + 2)) {
                    return false;
                }
                i += 2;
                true
            }
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => true,
            b'-' | b'.' | b'_' | b'~' => true,
            b':' | b'/' | b'?' | b'#' | b'[' | b']' | b'@' => true,
            b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'=' => true,
            _ => false,
        };
        if !ok {
            return false;
        }
        i += 1;
    }
    scheme_ok && authority_ok(rest)
}

/// With `//`, the authority's host must not be empty unless a path follows
/// (`file:///x` is fine, `http://` alone is not).
fn authority_ok(rest: &str) -> bool {
    match rest.strip_prefix("//") {
        None => true,
        Some(after) => {
            let authority = after.split(['/', '?', '#']).next().unwrap_or("");
            !authority.is_empty() || after.starts_with('/')
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_render_like_accessors() {
        let root = Path::Root;
        let palette = root.field("color_palette");
        let members = palette.field("members");
        let third = members.index(2);
        assert_eq!(
            third.field("color_hex").to_string(),
            "color_palette.members[2].color_hex"
        );
        assert_eq!(root.to_string(), "");
        assert_eq!(
            root.field("style_codes").index(0).to_string(),
            "style_codes[0]"
        );
    }

    #[test]
    fn uris() {
        for ok in [
            "https://example.com/a.png",
            "http://127.0.0.1:8080/x?y=1#z",
            "data:image/png;base64,iVBORw0KGgo=",
            "file:///tmp/a.png",
            "urn:isbn:0451450523",
        ] {
            assert!(check_uri(ok).is_ok(), "{ok}");
        }
        for bad in [
            "panda.png",
            "",
            "://x",
            "1http://x",
            "http://exa mple.com",
            "http://",
            "https://x/%zz",
        ] {
            assert!(check_uri(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn integers_follow_json_schema() {
        let mut errors = Vec::new();
        let root = Path::Root;
        assert_eq!(
            integer_from_json(&serde_json::json!(100.0), &root, &mut errors),
            Some(100)
        );
        assert_eq!(
            integer_from_json(&serde_json::json!(100.5), &root, &mut errors),
            None
        );
        assert_eq!(
            integer_from_json(&serde_json::json!("100"), &root, &mut errors),
            None
        );
        assert_eq!(errors.len(), 2);
        assert_eq!(
            check_integer(99, Some(100), Some(200)),
            Err(Rule::Minimum { min: 100.0 })
        );
        assert_eq!(
            check_integer(201, Some(100), Some(200)),
            Err(Rule::Maximum { max: 200.0 })
        );
    }

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
