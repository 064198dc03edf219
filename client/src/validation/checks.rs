//! What the generated code calls to parse and check values: paths, JSON
//! readers that record a violation instead of stopping, the checks of each
//! rule, and `Deserialize` through `FromJson`. Re-exported as
//! `crate::__private`: public only because the generated code needs it,
//! not API, and free to change with the generator.

use std::fmt;

use regex_lite::Regex;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::traits::FromJson;
use super::violation::{ParseEnumError, Rule, Violation};

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

pub(super) fn type_error<T>(
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
        text.parse::<T>().map_err(ParseEnumError::into_rule),
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
pub fn check_pattern(
    value: &str,
    regex: &Regex,
    pattern: &'static str,
    what: Option<&'static str>,
) -> Result<(), Rule> {
    if regex.is_match(value) {
        Ok(())
    } else {
        Err(Rule::Pattern { pattern, what })
    }
}

/// String length bounds in characters (JSON Schema counts code points),
/// inclusive.
pub fn check_length(value: &str, min: Option<usize>, max: Option<usize>) -> Result<(), Rule> {
    let len = value.chars().count();
    match (min, max) {
        (Some(lo), _) if len < lo => Err(Rule::MinLength { min: lo }),
        (_, Some(hi)) if len > hi => Err(Rule::MaxLength { max: hi }),
        _ => Ok(()),
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

/// `first` and `second` may not both be non-empty.
pub fn check_not_both_non_empty(
    first_non_empty: bool,
    second_non_empty: bool,
    first: &'static str,
    second: &'static str,
) -> Result<(), Rule> {
    if first_non_empty && second_non_empty {
        Err(Rule::NotBothNonEmpty { first, second })
    } else {
        Ok(())
    }
}

/// `Deserialize` of a generated input type, through its `FromJson`: serde
/// and `from_json` accept the same payloads, and serde's error lists every
/// violation, not the first.
pub fn deserialize_via_from_json<'de, T, D>(deserializer: D) -> Result<T, D::Error>
where
    T: FromJson,
    D: serde::Deserializer<'de>,
{
    let value = Value::deserialize(deserializer)?;
    T::from_json(&value).map_err(|errors| {
        let shown: Vec<String> = errors
            .violations()
            .iter()
            .map(|v| {
                // A value parsed on its own has no path: the rule says it all.
                if v.path.is_empty() {
                    v.rule.to_string()
                } else {
                    v.to_string()
                }
            })
            .collect();
        serde::de::Error::custom(shown.join("; "))
    })
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
}
