//! Flags (and `--json`) to a validated request. Works on the JSON form and
//! the registry's field shapes, so it needs no per-endpoint code.

use std::io::Read;
use std::path::Path;

use clap::ArgMatches;
use segmind_ideogram::{AnyRequest, EndpointInfo, FieldShape, ImageInput};
use serde_json::{Map, Value};

use crate::command::flag_name;
use crate::failure::Failure;

/// The request described by `--json` and the flags (flags win), validated.
pub fn request_from_matches(
    info: &'static EndpointInfo,
    json: Option<&Path>,
    m: &ArgMatches,
) -> Result<AnyRequest, Failure> {
    let mut object = match json {
        Some(path) => read_json_object(path)?,
        None => Map::new(),
    };
    for field in info.fields {
        if let Some(value) = flag_value(m, field.name, &field.shape)? {
            object.insert(field.name.to_owned(), value);
        }
    }
    validate(info, Value::Object(object))
}

/// Parses a JSON payload for `info`, with every violation in one line.
pub fn validate(info: &'static EndpointInfo, payload: Value) -> Result<AnyRequest, Failure> {
    match AnyRequest::from_json(info.slug, &payload) {
        Some(Ok(request)) => Ok(request),
        Some(Err(errors)) => Err(Failure::input(errors.to_string())),
        None => Err(Failure::input(format!("unknown endpoint {}", info.slug))),
    }
}

fn read_json_object(path: &Path) -> Result<Map<String, Value>, Failure> {
    let text = if path == Path::new("-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Failure::input(format!("cannot read the request from stdin: {e}")))?;
        text
    } else {
        std::fs::read_to_string(path)
            .map_err(|e| Failure::input(format!("cannot read {}: {e}", path.display())))?
    };
    match serde_json::from_str(&text) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(Failure::input(format!(
            "{} must hold a JSON object",
            path.display()
        ))),
        Err(e) => Err(Failure::input(format!(
            "{} is not valid JSON: {e}",
            path.display()
        ))),
    }
}

fn flag_value(m: &ArgMatches, name: &str, shape: &FieldShape) -> Result<Option<Value>, Failure> {
    Ok(match shape {
        FieldShape::Bool => m.get_flag(name).then_some(Value::Bool(true)),
        FieldShape::List(inner) => match m.get_raw(name) {
            None => None,
            Some(_) => {
                let items = list_values(m, name, inner)?;
                Some(Value::Array(items))
            }
        },
        shape => single_value(m, name, shape)?,
    })
}

fn list_values(m: &ArgMatches, name: &str, inner: &FieldShape) -> Result<Vec<Value>, Failure> {
    match inner {
        FieldShape::Integer { .. } => Ok(m
            .get_many::<i64>(name)
            .into_iter()
            .flatten()
            .map(|v| Value::from(*v))
            .collect()),
        FieldShape::Number => Ok(m
            .get_many::<f64>(name)
            .into_iter()
            .flatten()
            .map(|v| Value::from(*v))
            .collect()),
        _ => m
            .get_many::<String>(name)
            .into_iter()
            .flatten()
            .map(|text| text_value(name, inner, text))
            .collect(),
    }
}

fn single_value(m: &ArgMatches, name: &str, shape: &FieldShape) -> Result<Option<Value>, Failure> {
    Ok(match shape {
        FieldShape::Integer { .. } => m.get_one::<i64>(name).map(|v| Value::from(*v)),
        FieldShape::Number => m.get_one::<f64>(name).map(|v| Value::from(*v)),
        _ => match m.get_one::<String>(name) {
            Some(text) => Some(text_value(name, shape, text)?),
            None => None,
        },
    })
}

/// A text flag's JSON value: JSON members are parsed, image members that
/// name a local file are inlined as a `data:` URI.
fn text_value(name: &str, shape: &FieldShape, text: &str) -> Result<Value, Failure> {
    match shape {
        FieldShape::Json => serde_json::from_str(text)
            .map_err(|e| Failure::input(format!("--{} is not valid JSON: {e}", flag_name(name)))),
        FieldShape::Uri
            if !text.contains("://") && !text.starts_with("data:") && Path::new(text).is_file() =>
        {
            let uri = ImageInput::file(text).to_data_uri()?;
            Ok(Value::String(uri))
        }
        _ => Ok(Value::String(text.to_owned())),
    }
}

/// The payload for display: long `data:` URIs are abbreviated.
pub fn for_display(payload: &Value) -> Value {
    match payload {
        Value::String(s) if s.starts_with("data:") && s.len() > 120 => {
            let head: String = s.chars().take(40).collect();
            Value::String(format!("{head}… ({} bytes)", s.len()))
        }
        Value::Array(items) => Value::Array(items.iter().map(for_display).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), for_display(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The documented cost of one call, in words.
pub fn estimated_cost(info: &EndpointInfo) -> String {
    match info.price_usd {
        Some(p) if p.max_usd > p.min_usd => {
            format!("${:.3}–${:.3} per generation", p.min_usd, p.max_usd)
        }
        Some(p) => format!("${:.3} per generation", p.min_usd),
        None => "not documented by Segmind for this endpoint".to_owned(),
    }
}
