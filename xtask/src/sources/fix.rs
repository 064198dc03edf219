//! The spec edits that make it agree with its pages: `--check` prints them
//! under each problem they answer, `--fix` writes them.
//!
//! A fix answers one unexplained disagreement: a parameter or an endpoint
//! only the page has (its schema, from [`fragment`](super::fragment)), a
//! default, a range, whether a parameter is required, the price, the
//! latency, an enum's values (the page's complete list, or the reference
//! list in `spec/sources/` that holds a truncated one), the example
//! payload. What needs judgement (a type, a format, a recorded deviation
//! whose page text changed) gets no fix.

use serde_json::{Map, Value, json};

use super::compare::ReferenceList;
use super::fragment::{self, Edit, escape, page_value};
use super::page::{Page, Param};
use super::{Outcome, Report};
use crate::Error;

/// One fix: the edits that answer the fact `field` of `endpoint`.
#[derive(Debug, Clone, PartialEq)]
pub struct Fix {
    pub endpoint: String,
    /// The fact it answers, as `--check` names it (`num_images`, `price`).
    pub field: String,
    /// JSON pointers of the spec and the values to put there (a new member
    /// goes at the end of its object).
    pub edits: Vec<Edit>,
    /// What a maintainer should check: what `--fix` had to guess.
    pub notes: Vec<String>,
}

impl Fix {
    /// The fragment to paste, indented under its problem line.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (pointer, value) in &self.edits {
            out.push_str(&format!("    {pointer}: {value}\n"));
        }
        for note in &self.notes {
            out.push_str(&format!("    check: {note}\n"));
        }
        out
    }
}

/// The fixes of every unexplained disagreement of `report`, one per fact
/// (the facts of one parameter's values share one).
pub fn fixes(
    spec: &Value,
    pages: &[(String, Page)],
    lists: &[ReferenceList],
    report: &Report,
) -> Vec<Fix> {
    let mut out: Vec<Fix> = Vec::new();
    for checked in &report.checked {
        // A record for older page text needs a person: was the change meant?
        if checked.outcome != Outcome::Disagrees(None) {
            continue;
        }
        let fact = &checked.fact;
        let Some((_, page)) = pages.iter().find(|(slug, _)| *slug == fact.endpoint) else {
            continue;
        };
        let Some(fix) = fix_for(spec, &fact.endpoint, &fact.field, page, lists) else {
            continue;
        };
        if !out.iter().any(|f| f.edits == fix.edits) {
            out.push(fix);
        }
    }
    out
}

/// The fix of one fact, when there is one.
fn fix_for(
    spec: &Value,
    slug: &str,
    field: &str,
    page: &Page,
    lists: &[ReferenceList],
) -> Option<Fix> {
    let operation = format!("/paths/{}/post", escape(&format!("/v1/{slug}")));
    let fix = |edits: Vec<Edit>, notes: Vec<String>| {
        Some(Fix {
            endpoint: slug.to_owned(),
            field: field.to_owned(),
            edits,
            notes,
        })
    };
    if field == "endpoint" {
        let (edits, notes) = fragment::new_endpoint(spec, slug, page, lists)?;
        return fix(edits, notes);
    }
    if field == "price" {
        let (min, max) = page.price_usd?;
        return fix(
            vec![(
                format!("{operation}/x-segmind-endpoint/price_usd"),
                json!({"min": min, "max": max}),
            )],
            Vec::new(),
        );
    }
    if field == "latency" {
        return fix(
            vec![(
                format!("{operation}/x-segmind-endpoint/typical_latency_seconds"),
                json!(page.latency_seconds?),
            )],
            Vec::new(),
        );
    }
    if field == "example" || field.starts_with("example.") && field != "example.valid" {
        let example = page.example.as_ref()?.as_ref().ok()?;
        return fix(
            vec![(
                format!("{operation}/requestBody/content/application~1json/example"),
                Value::Object(example.clone()),
            )],
            Vec::new(),
        );
    }
    let request = spec
        .pointer(&format!(
            "{operation}/requestBody/content/application~1json/schema/$ref"
        ))?
        .as_str()?
        .strip_prefix("#/components/schemas/")?;
    let (name, aspect) = field.split_once('.').unwrap_or((field, ""));
    let param = page.params.iter().find(|p| p.name == name)?;
    let schema = format!("/components/schemas/{}", escape(request));
    let property = format!("{schema}/properties/{}", escape(name));
    let has_property = spec.pointer(&property).is_some();
    match aspect {
        "" if !has_property => {
            let written = fragment::param_schema(spec, request, param, lists);
            let mut edits: Vec<Edit> = written
                .components
                .into_iter()
                .map(|c| (format!("/components/schemas/{}", escape(&c.name)), c.schema))
                .collect();
            edits.push((property, written.property));
            if param.required {
                edits.push((
                    format!("{schema}/required"),
                    with_required(spec.pointer(&schema)?, name, true),
                ));
            }
            fix(edits, written.notes)
        }
        "default" => fix(
            vec![(
                format!("{property}/default"),
                page_value(param.default.as_deref()?),
            )],
            Vec::new(),
        ),
        "required" => fix(
            vec![(
                format!("{schema}/required"),
                with_required(spec.pointer(&schema)?, name, param.required),
            )],
            Vec::new(),
        ),
        "range" => range_fix(spec, request, &property, param).and_then(|e| fix(e, Vec::new())),
        "values" | "total" | "reference" => {
            values_fix(spec, &property, param, lists).and_then(|e| fix(e, Vec::new()))
        }
        _ => None,
    }
}

/// The request schema's `required` list with `name` in or out.
fn with_required(schema: &Value, name: &str, required: bool) -> Value {
    let mut list: Vec<Value> = schema
        .get("required")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    list.retain(|v| v != name);
    if required {
        list.push(json!(name));
    }
    Value::Array(list)
}

/// The page's range on the parameter's scalar (a new one, when the
/// property has none of its own).
fn range_fix(spec: &Value, request: &str, property: &str, param: &Param) -> Option<Vec<Edit>> {
    let (lo, hi) = param.range?;
    let target = match spec
        .pointer(&format!("{property}/$ref"))
        .and_then(Value::as_str)
    {
        Some(reference) => {
            format!(
                "/components/schemas/{}",
                escape(reference.strip_prefix("#/components/schemas/")?)
            )
        }
        None => {
            let written = fragment::param_schema(spec, request, param, &[]);
            let mut edits: Vec<Edit> = written
                .components
                .into_iter()
                .map(|c| (format!("/components/schemas/{}", escape(&c.name)), c.schema))
                .collect();
            edits.push((property.to_owned(), written.property));
            return Some(edits);
        }
    };
    let number = |n: f64| {
        if param.ty == "integer" {
            json!(n as i64)
        } else {
            json!(n)
        }
    };
    Some(vec![
        (format!("{target}/minimum"), number(lo)),
        (format!("{target}/maximum"), number(hi)),
    ])
}

/// The enum's values: the page's complete list, or for a truncated one the
/// reference list that holds the values shown.
fn values_fix(
    spec: &Value,
    property: &str,
    param: &Param,
    lists: &[ReferenceList],
) -> Option<Vec<Edit>> {
    let reference = spec
        .pointer(&format!("{property}/$ref"))
        .or_else(|| spec.pointer(&format!("{property}/items/$ref")))?
        .as_str()?
        .strip_prefix("#/components/schemas/")?;
    let truncated = param.more.is_some_and(|more| more > 0);
    let values: Vec<String> = if truncated {
        lists
            .iter()
            .find(|l| param.values.iter().all(|v| l.values.contains(v)))?
            .values
            .clone()
    } else {
        param.values.clone()
    };
    if values.is_empty() {
        return None;
    }
    Some(vec![(
        format!("/components/schemas/{}/enum", escape(reference)),
        json!(values),
    )])
}

/// Applies the fixes to the spec document.
pub fn apply(spec: &mut Value, fixes: &[Fix]) -> Result<(), Error> {
    for fix in fixes {
        for (pointer, value) in &fix.edits {
            set(spec, pointer, value.clone())?;
        }
    }
    Ok(())
}

/// Puts `value` at `pointer`, creating the objects on the way; a new
/// member goes at the end of its object.
fn set(spec: &mut Value, pointer: &str, value: Value) -> Result<(), Error> {
    let mut node = spec;
    let mut parts = pointer.split('/').skip(1).peekable();
    while let Some(part) = parts.next() {
        let key = part.replace("~1", "/").replace("~0", "~");
        let object: &mut Map<String, Value> = node.as_object_mut().ok_or_else(|| {
            Error::Invalid(format!("{pointer}: cannot write inside a non-object"))
        })?;
        if parts.peek().is_none() {
            object.insert(key, value);
            return Ok(());
        }
        node = object.entry(key).or_insert_with(|| json!({}));
    }
    Err(Error::Invalid(format!("{pointer}: not a member's pointer")))
}

/// The spec as the repository keeps it: two-space JSON and a final newline.
pub fn to_text(spec: &Value) -> String {
    let mut text = serde_json::to_string_pretty(spec).expect("a JSON value serializes");
    text.push('\n');
    text
}
