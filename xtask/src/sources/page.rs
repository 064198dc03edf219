//! One Segmind model page, as captured text, read into the facts it states.
//!
//! Two layouts occur. Most pages put one field per line:
//!
//! ```text
//! seedoptional
//! integer
//!
//! Seed for random generation
//!
//! Range: 100 - 999999
//! ```
//!
//! txt-2-img's capture runs them together, drops the `Default:` and
//! `Allowed values` labels, and repeats the default as the first quoted value:
//!
//! ```text
//! magic_prompt_optionoptionalstringOption for magic prompt
//! "AUTO""AUTO""ON""OFF"negative_promptoptionalstring...
//! ```
//!
//! Both go through one scanner: it splits the parameter section into items
//! (a parameter header `name` + `required|optional` + type, a `oneOf` variant
//! header, labels, a run of quoted values, free text) wherever they start,
//! line breaks or not. Nothing here can panic on odd text: every number is
//! parsed fallibly and every slice is taken at a match boundary.

use std::sync::LazyLock;

use regex_lite::Regex;
use serde_json::{Map, Value};

/// Which of the two captured layouts a page came in (for the report only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    FieldPerLine,
    RunTogether,
}

impl Layout {
    pub fn as_str(self) -> &'static str {
        match self {
            Layout::FieldPerLine => "field-per-line layout",
            Layout::RunTogether => "run-together layout",
        }
    }
}

/// Everything a page states about its endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub layout: Layout,
    /// The heading (`Ideogram 3 Reframe Serverless API` gives
    /// `Ideogram 3 Reframe`).
    pub title: Option<String>,
    /// The paragraph under the heading.
    pub summary: Option<String>,
    /// The sync URL under "API Endpoint" and the slug it ends in.
    pub url: Option<(String, String)>,
    /// `$0.037 - $0.113 per generation`.
    pub price_usd: Option<(f64, f64)>,
    /// `~11.30s`.
    pub latency_seconds: Option<f64>,
    /// `Returns: Image`.
    pub returns: Option<String>,
    /// Queue calls shown (`POST /v2/<slug>`, `GET /v2/requests/{id}/status`),
    /// path parameters written `{id}`, sorted.
    pub queue_paths: Vec<String>,
    /// HTTP statuses the queue section names (`served as HTTP 422`).
    pub queue_statuses: Vec<u16>,
    /// Status codes under "Common Error Codes" (the run-together capture
    /// lost them: empty there).
    pub error_statuses: Vec<u16>,
    pub params: Vec<Param>,
    /// The example payload of the code sample (`data = {...}` or
    /// `payload = {...}`), or why it could not be read.
    pub example: Option<Result<Map<String, Value>, String>>,
}

/// One parameter of the page's table.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Param {
    pub name: String,
    pub required: bool,
    /// The type as the page writes it, without a format: `string`,
    /// `integer`, `string[]`, `any | any`.
    pub ty: String,
    /// The format in parentheses: `string (uri)` gives `uri`.
    pub format: Option<String>,
    pub description: String,
    /// As written: `"AUTO"`, `50`.
    pub default: Option<String>,
    /// Allowed values shown (without quotes).
    pub values: Vec<String>,
    /// `+68 more`.
    pub more: Option<u64>,
    /// `Allowed values (78 total):`.
    pub total: Option<u64>,
    /// `Range: 100 - 999999`, or `(range 1-100)` in the description.
    pub range: Option<(f64, f64)>,
    /// `One of:` members, for unions.
    pub variants: Vec<Variant>,
}

/// One member of a `One of:` block and the fields the page lists for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    pub title: String,
    pub fields: Vec<VariantField>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VariantField {
    pub name: String,
    pub required: bool,
    pub ty: String,
}

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("the page patterns are fixed and compile")
}

/// A type as the pages write it: `string (uri)`, `object[]`, `any | any`.
const TYPE: &str = r"(?:string|integer|number|boolean|object|array|any)(?:\[\])?(?: \([a-z0-9_-]+\))?(?: \| (?:string|integer|number|boolean|object|array|any)(?:\[\])?(?: \([a-z0-9_-]+\))?)*";

static PARAM_HEADER: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"^([a-z][a-z0-9_]*?)(required|optional)\s*({TYPE})"
    ))
});
// Lazy throughout: in run-together text the shortest title is the right one
// (`Preset Color Paletteoptionalanynamerequiredstring` is a variant `Preset
// Color Palette` of type `any`, then a field `name`).
static VARIANT_HEADER: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"^([A-Z][A-Za-z0-9]*?(?: [A-Za-z0-9]+?)*?)(required|optional)\s*({TYPE})"
    ))
});
static FORMAT_SUFFIX: LazyLock<Regex> = LazyLock::new(|| re(r" \(([a-z0-9_-]+)\)"));
static QUOTED_RUN: LazyLock<Regex> = LazyLock::new(|| re(r#"^(?:"[^"\n]*")+"#));
static QUOTED: LazyLock<Regex> = LazyLock::new(|| re(r#""([^"\n]*)""#));
static MORE: LazyLock<Regex> = LazyLock::new(|| re(r"^\s*\+(\d+) more"));
static DEFAULT_LABEL: LazyLock<Regex> = LazyLock::new(|| re(r"^Default:[ \t]*([^\n]*)"));
static ALLOWED_LABEL: LazyLock<Regex> =
    LazyLock::new(|| re(r"^Allowed values[ \t]*(?:\((\d+) total\))?[ \t]*:"));
static ONE_OF_LABEL: LazyLock<Regex> = LazyLock::new(|| re(r"^One of:"));
static RANGE: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)\brange:?\s*(-?\d+(?:\.\d+)?)\s*(?:-|–|to)\s*(-?\d+(?:\.\d+)?)"));
static FIELD_PER_LINE_HEADER: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?m)^[a-z][a-z0-9_]*(?:required|optional)$"));
static URL: LazyLock<Regex> =
    LazyLock::new(|| re(r"(https://[A-Za-z0-9.-]+/v1/([a-z0-9][a-z0-9-]*))"));
static PRICE: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?m)^\$(\d+(?:\.\d+)?)(?:\s*-\s*\$(\d+(?:\.\d+)?))?\s+per generation"));
static LATENCY: LazyLock<Regex> = LazyLock::new(|| re(r"(?m)^~(\d+(?:\.\d+)?)\s*s\s*$"));
static RETURNS: LazyLock<Regex> = LazyLock::new(|| re(r"Returns:[ \t]*([^\n]+)"));
static QUEUE_CALL: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b(POST|GET)\s+(/v2/[A-Za-z0-9_{}./-]+)"));
static PATH_PARAM: LazyLock<Regex> = LazyLock::new(|| re(r"\{[^}]*\}"));
static HTTP_STATUS: LazyLock<Regex> = LazyLock::new(|| re(r"HTTP (\d{3})\b"));
static STATUS_LINE: LazyLock<Regex> = LazyLock::new(|| re(r"(?m)^\s*(\d{3})\s*$"));
static LINE_NUMBER: LazyLock<Regex> = LazyLock::new(|| re(r"^\s*\d+"));
static EXAMPLE_START: LazyLock<Regex> = LazyLock::new(|| re(r"^\s*(?:data|payload)\s*=\s*\{\s*$"));
static TRAILING_COMMA: LazyLock<Regex> = LazyLock::new(|| re(r",(\s*[}\]])"));

/// Reads a page. Any text is accepted; what cannot be found is `None` or empty.
pub fn parse(text: &str) -> Page {
    let api = text.find("API Endpoint").unwrap_or(0);
    let url = URL.captures(&text[api..]).map(|c| {
        let (full, slug) = (c.get(1), c.get(2));
        (
            full.map_or("", |m| m.as_str()).to_owned(),
            slug.map_or("", |m| m.as_str()).to_owned(),
        )
    });
    let url_end = URL.find(&text[api..]).map_or(api, |m| api + m.end());
    let section = parameter_section(text, url_end);
    let layout = if FIELD_PER_LINE_HEADER.is_match(section) {
        Layout::FieldPerLine
    } else {
        Layout::RunTogether
    };
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let title = lines
        .next()
        .map(|l| l.trim_end_matches("Serverless API").trim().to_owned());
    let summary = lines
        .next()
        .filter(|l| !l.starts_with('~') && !l.starts_with('$'))
        .map(str::to_owned);
    Page {
        layout,
        title,
        summary,
        url,
        price_usd: PRICE.captures(text).and_then(|c| {
            let lo: f64 = c.get(1)?.as_str().parse().ok()?;
            let hi = match c.get(2) {
                Some(m) => m.as_str().parse().ok()?,
                None => lo,
            };
            Some((lo, hi))
        }),
        latency_seconds: LATENCY
            .captures(text)
            .and_then(|c| c.get(1)?.as_str().parse().ok()),
        returns: RETURNS
            .captures(text)
            .and_then(|c| Some(c.get(1)?.as_str().trim().to_owned())),
        queue_paths: queue_paths(text),
        queue_statuses: queue_statuses(text),
        error_statuses: error_statuses(text),
        params: params(&items(section)),
        example: example(text),
    }
}

/// From "Parameters" after the endpoint URL to the next section heading.
fn parameter_section(text: &str, from: usize) -> &str {
    let rest = &text[from..];
    let start = rest
        .find("Parameters")
        .map_or(rest.len(), |i| i + "Parameters".len());
    let rest = &rest[start..];
    let end = [
        "Response Type",
        "Returns:",
        "Asynchronous requests",
        "Common Error Codes",
    ]
    .iter()
    .filter_map(|heading| rest.find(heading))
    .min()
    .unwrap_or(rest.len());
    &rest[..end]
}

fn queue_paths(text: &str) -> Vec<String> {
    let mut paths: Vec<String> = QUEUE_CALL
        .captures_iter(text)
        .filter_map(|c| {
            let path = PATH_PARAM.replace_all(c.get(2)?.as_str(), "{id}");
            Some(format!("{} {path}", c.get(1)?.as_str()))
        })
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

fn queue_statuses(text: &str) -> Vec<u16> {
    let Some(start) = text.find("Asynchronous requests") else {
        return Vec::new();
    };
    let rest = &text[start..];
    let rest = &rest[..rest.find("Common Error Codes").unwrap_or(rest.len())];
    sorted_statuses(HTTP_STATUS.captures_iter(rest).filter_map(|c| c.get(1)))
}

fn error_statuses(text: &str) -> Vec<u16> {
    let Some(start) = text.find("Common Error Codes") else {
        return Vec::new();
    };
    sorted_statuses(
        STATUS_LINE
            .captures_iter(&text[start..])
            .filter_map(|c| c.get(1)),
    )
}

fn sorted_statuses<'a>(matches: impl Iterator<Item = regex_lite::Match<'a>>) -> Vec<u16> {
    let mut statuses: Vec<u16> = matches.filter_map(|m| m.as_str().parse().ok()).collect();
    statuses.sort_unstable();
    statuses.dedup();
    statuses
}

/// The first `data = {` / `payload = {` block of the code sample, as JSON.
fn example(text: &str) -> Option<Result<Map<String, Value>, String>> {
    let mut lines = text
        .lines()
        .map(|l| LINE_NUMBER.replace(l, "").into_owned());
    lines.by_ref().find(|l| EXAMPLE_START.is_match(l))?;
    let mut body = String::from("{");
    let mut closed = false;
    for line in lines {
        if line.trim() == "}" {
            closed = true;
            break;
        }
        body.push_str(&line);
        body.push('\n');
    }
    if !closed {
        return Some(Err("the example's `{` is never closed".to_owned()));
    }
    body.push('}');
    // Python allows a trailing comma; JSON does not.
    let body = TRAILING_COMMA.replace_all(&body, "$1");
    Some(match serde_json::from_str::<Value>(&body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(format!("the example is not an object: {other}")),
        Err(e) => Err(format!("the example is not JSON: {e}")),
    })
}

/// A piece of the parameter section.
#[derive(Debug, Clone, PartialEq)]
enum Item {
    Header {
        name: String,
        required: bool,
        ty: String,
    },
    VariantHeader {
        title: String,
    },
    OneOf,
    Default(String),
    AllowedLabel {
        total: Option<u64>,
    },
    Values {
        values: Vec<String>,
        more: Option<u64>,
    },
    Text(String),
}

/// Splits the section into items wherever they start, line breaks or not.
fn items(section: &str) -> Vec<Item> {
    let mut out = Vec::new();
    let mut rest = section;
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            return out;
        }
        let (item, used) = next_item(rest);
        out.push(item);
        // `next_item` always consumes at least one character.
        rest = &rest[used..];
    }
}

fn next_item(rest: &str) -> (Item, usize) {
    if let Some(m) = QUOTED_RUN.find(rest) {
        let values = QUOTED
            .captures_iter(m.as_str())
            .filter_map(|c| Some(c.get(1)?.as_str().to_owned()))
            .collect();
        let (more, used) = match MORE.captures(&rest[m.end()..]) {
            Some(c) => (
                c.get(1).and_then(|n| n.as_str().parse().ok()),
                m.end() + c.get(0).map_or(0, |all| all.end()),
            ),
            None => (None, m.end()),
        };
        return (Item::Values { values, more }, used);
    }
    if let Some(c) = DEFAULT_LABEL.captures(rest) {
        let all = c.get(0).map_or(rest.len(), |m| m.end());
        let value = c.get(1).map_or("", |m| m.as_str()).trim().to_owned();
        return (Item::Default(value), all.max(1));
    }
    if let Some(c) = ALLOWED_LABEL.captures(rest) {
        let total = c.get(1).and_then(|n| n.as_str().parse().ok());
        return (
            Item::AllowedLabel { total },
            c.get(0).map_or(1, |m| m.end()),
        );
    }
    if let Some(m) = ONE_OF_LABEL.find(rest) {
        return (Item::OneOf, m.end());
    }
    if let Some(c) = PARAM_HEADER.captures(rest) {
        let text = |i| c.get(i).map_or("", |m: regex_lite::Match<'_>| m.as_str());
        return (
            Item::Header {
                name: text(1).to_owned(),
                required: text(2) == "required",
                ty: text(3).to_owned(),
            },
            c.get(0).map_or(1, |m| m.end()),
        );
    }
    if let Some(c) = VARIANT_HEADER.captures(rest) {
        return (
            Item::VariantHeader {
                title: c.get(1).map_or("", |m| m.as_str()).to_owned(),
            },
            c.get(0).map_or(1, |m| m.end()),
        );
    }
    // Free text runs to the end of the line.
    let end = rest.find('\n').unwrap_or(rest.len());
    (Item::Text(rest[..end].trim().to_owned()), end.max(1))
}

/// Assembles items into parameters.
///
/// Inside a `One of:` block, a header with nothing after it but another
/// header is a field of the current variant; the first header followed by a
/// description is the next parameter (the pages give variant fields no
/// description, and every parameter one).
fn params(items: &[Item]) -> Vec<Param> {
    let mut params: Vec<Param> = Vec::new();
    let mut in_variants = false;
    let mut labelled = false;
    for (i, item) in items.iter().enumerate() {
        match item {
            Item::Header { name, required, ty } => {
                let bare = matches!(
                    items.get(i + 1),
                    None | Some(Item::Header { .. } | Item::VariantHeader { .. })
                );
                let variant = params.last_mut().and_then(|p| p.variants.last_mut());
                match variant {
                    Some(variant) if in_variants && bare => variant.fields.push(VariantField {
                        name: name.clone(),
                        required: *required,
                        ty: ty.clone(),
                    }),
                    _ => {
                        in_variants = false;
                        labelled = false;
                        let (ty, format) = split_format(ty);
                        params.push(Param {
                            name: name.clone(),
                            required: *required,
                            ty,
                            format,
                            ..Param::default()
                        });
                    }
                }
            }
            Item::VariantHeader { title } => {
                if let Some(p) = params.last_mut() {
                    p.variants.push(Variant {
                        title: title.clone(),
                        fields: Vec::new(),
                    });
                    in_variants = true;
                }
            }
            Item::OneOf => {}
            Item::Default(value) => {
                if let Some(p) = params.last_mut() {
                    p.default = Some(value.clone());
                }
            }
            Item::AllowedLabel { total } => {
                if let Some(p) = params.last_mut() {
                    p.total = *total;
                    labelled = true;
                }
            }
            Item::Values { values, more } => {
                let Some(p) = params.last_mut() else { continue };
                let mut values = values.as_slice();
                // Unlabelled runs (the run-together layout) lead with the default.
                if !labelled
                    && p.default.is_none()
                    && let Some((first, others)) = values.split_first()
                {
                    p.default = Some(format!("\"{first}\""));
                    values = others;
                }
                p.values.extend(values.iter().cloned());
                p.more = p.more.or(*more);
                labelled = false;
            }
            Item::Text(text) => {
                let Some(p) = params.last_mut() else { continue };
                if p.range.is_none() {
                    p.range = RANGE.captures(text).and_then(|c| {
                        Some((
                            c.get(1)?.as_str().parse().ok()?,
                            c.get(2)?.as_str().parse().ok()?,
                        ))
                    });
                }
                if !text.starts_with("Range:") {
                    if !p.description.is_empty() {
                        p.description.push(' ');
                    }
                    p.description.push_str(text);
                }
            }
        }
    }
    params
}

/// `string (uri)` → (`string`, `uri`).
fn split_format(ty: &str) -> (String, Option<String>) {
    match FORMAT_SUFFIX.captures(ty) {
        Some(c) => (
            FORMAT_SUFFIX.replace_all(ty, "").into_owned(),
            c.get(1).map(|m| m.as_str().to_owned()),
        ),
        None => (ty.to_owned(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_together_items_split_where_they_start() {
        let page = parse(
            "API Endpoint\nhttps://api.segmind.com/v1/x-yParameters\n\
             promptrequiredstringPrompt to render\n\
             color_paletteoptionalany | anyA palette\n\
             Preset Color PaletteoptionalanynamerequiredstringCustom Color Paletteoptionalanymembersrequiredobject[]modeoptionalstringMode\n\
             \"B\"\"A\"\"B\"+3 moreseedoptionalintegerSeed\nResponse Type",
        );
        assert_eq!(page.layout, Layout::RunTogether);
        assert_eq!(
            page.url,
            Some(("https://api.segmind.com/v1/x-y".into(), "x-y".into()))
        );
        let names: Vec<&str> = page.params.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["prompt", "color_palette", "mode", "seed"]);
        let palette = &page.params[1];
        assert_eq!(palette.ty, "any | any");
        assert_eq!(palette.variants.len(), 2);
        assert_eq!(palette.variants[1].fields[0].name, "members");
        assert_eq!(palette.variants[1].fields[0].ty, "object[]");
        let mode = &page.params[2];
        assert_eq!(mode.default.as_deref(), Some("\"B\""));
        assert_eq!(mode.values, ["A", "B"]);
        assert_eq!(mode.more, Some(3));
        assert_eq!(page.params[3].ty, "integer");
    }

    #[test]
    fn field_per_line_labels_and_description_ranges() {
        let page = parse(
            "~9.50s\n$0.02 - $0.04 per generation\nAPI Endpoint\n\nPOSThttps://api.segmind.com/v1/z\n\nParameters\n\n\
             image_filerequired\nstring (uri)\n\nImage File\n\n\
             weightoptional\ninteger\n\nWeight (range 1-100)\n\nDefault: 50\n\
             sizeoptional\nstring\n\nSize\n\nDefault: \"M\"\nAllowed values (9 total):\n\"S\"\"M\"+7 more\n\
             \nResponse Type\n\nReturns: Image\n",
        );
        assert_eq!(page.layout, Layout::FieldPerLine);
        assert_eq!(page.price_usd, Some((0.02, 0.04)));
        assert_eq!(page.latency_seconds, Some(9.5));
        assert_eq!(page.returns.as_deref(), Some("Image"));
        let [image, weight, size] = &page.params[..] else {
            panic!("{:?}", page.params)
        };
        assert_eq!(
            (image.ty.as_str(), image.format.as_deref()),
            ("string", Some("uri"))
        );
        assert_eq!(weight.range, Some((1.0, 100.0)));
        assert_eq!(weight.default.as_deref(), Some("50"));
        assert_eq!(size.default.as_deref(), Some("\"M\""));
        assert_eq!(size.values, ["S", "M"]);
        assert_eq!((size.total, size.more), (Some(9), Some(7)));
    }
}
