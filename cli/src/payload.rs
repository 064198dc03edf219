//! Flags (and `--json`) to a validated request. Works on the JSON form and
//! the registry's field shapes, so it needs no per-endpoint code.
//!
//! A local file given to an image member is kept aside in a [`Draft`] and
//! checked at once (it exists, it is an image Segmind takes); it becomes a
//! URL from Segmind's storage, or an inline `data:` URI, only when the
//! request is sent.

use std::io::Read;
use std::path::{Path, PathBuf};

use clap::ArgMatches;
use segmind_ideogram::{AnyRequest, Client, EndpointInfo, FieldShape, ImageInput};
use serde_json::{Map, Value};

use crate::command::flag_name;
use crate::failure::Failure;

/// What stands in for a local file until it is uploaded: a URL, so that the
/// request validates as it will be sent.
const PENDING_UPLOAD: &str = "https://storage.segmind.invalid/pending-upload";

/// A request whose local image files are not uploaded yet.
pub struct Draft {
    info: &'static EndpointInfo,
    object: Map<String, Value>,
    /// Member, index for list members, and the file.
    files: Vec<(String, Option<usize>, PathBuf)>,
}

impl Draft {
    /// The request described by `--json` and the flags (flags win),
    /// validated with its local files standing in as URLs.
    pub fn from_matches(
        info: &'static EndpointInfo,
        json: Option<&Path>,
        m: &ArgMatches,
    ) -> Result<Self, Failure> {
        let mut draft = Self {
            info,
            object: match json {
                Some(path) => read_json_object(path)?,
                None => Map::new(),
            },
            files: Vec::new(),
        };
        for field in info.fields {
            if let Some(value) = draft.flag_value(m, field.name, &field.shape)? {
                draft.object.insert(field.name.to_owned(), value);
            }
        }
        draft.check()?;
        Ok(draft)
    }

    /// The request as it will be sent, for `--dry-run`: local files named,
    /// long `data:` URIs shortened.
    pub fn for_display(&self, inline: bool) -> Value {
        let mut shown = Value::Object(self.object.clone());
        for (name, index, path) in &self.files {
            let value = match ImageInput::file(path).to_data_uri() {
                Ok(uri) if inline => uri,
                _ => format!(
                    "{} (uploaded to Segmind's storage when sent)",
                    path.display()
                ),
            };
            if let Some(slot) = slot(&mut shown, name, *index) {
                *slot = Value::String(value);
            }
        }
        for_display(&shown)
    }

    /// The request with its files standing in as URLs.
    pub fn check(&self) -> Result<AnyRequest, Failure> {
        validate(self.info, Value::Object(self.object.clone()))
    }

    /// The request to send: each local file uploaded through `client` (or
    /// inlined), then the whole validated again.
    pub async fn resolve(mut self, client: &Client, inline: bool) -> Result<AnyRequest, Failure> {
        let mut object = Value::Object(std::mem::take(&mut self.object));
        for (name, index, path) in &self.files {
            let image = ImageInput::file(path);
            let value = if inline {
                image.to_data_uri()?
            } else {
                client.upload(&image).await?
            };
            if let Some(slot) = slot(&mut object, name, *index) {
                *slot = Value::String(value);
            }
        }
        validate(self.info, object)
    }

    fn flag_value(
        &mut self,
        m: &ArgMatches,
        name: &str,
        shape: &FieldShape,
    ) -> Result<Option<Value>, Failure> {
        Ok(match shape {
            FieldShape::Bool => m.get_flag(name).then_some(Value::Bool(true)),
            FieldShape::List(inner) => match m.get_raw(name) {
                None => None,
                Some(_) => Some(Value::Array(self.list_values(m, name, inner)?)),
            },
            FieldShape::Integer { .. } => m.get_one::<i64>(name).map(|v| Value::from(*v)),
            FieldShape::Number => m.get_one::<f64>(name).map(|v| Value::from(*v)),
            shape => match m.get_one::<String>(name) {
                Some(text) => Some(self.text_value(name, None, shape, text)?),
                None => None,
            },
        })
    }

    fn list_values(
        &mut self,
        m: &ArgMatches,
        name: &str,
        inner: &FieldShape,
    ) -> Result<Vec<Value>, Failure> {
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
            _ => {
                let texts: Vec<&String> =
                    m.get_many::<String>(name).into_iter().flatten().collect();
                texts
                    .into_iter()
                    .enumerate()
                    .map(|(i, text)| self.text_value(name, Some(i), inner, text))
                    .collect()
            }
        }
    }

    /// A text flag's JSON value: JSON members are parsed, choices take their
    /// wire spelling whatever the case given, and an image member that is
    /// not a URL is a local file, checked now and sent later.
    fn text_value(
        &mut self,
        name: &str,
        index: Option<usize>,
        shape: &FieldShape,
        text: &str,
    ) -> Result<Value, Failure> {
        match shape {
            FieldShape::Choice(values) => Ok(Value::String(
                values
                    .iter()
                    .find(|v| v.eq_ignore_ascii_case(text))
                    .map_or(text, |v| v)
                    .to_owned(),
            )),
            FieldShape::Json => crate::shorthand::json_flag(name, text),
            FieldShape::Uri if !text.contains("://") && !text.starts_with("data:") => {
                let path = PathBuf::from(text);
                if !path.is_file() {
                    return Err(Failure::input(format!(
                        "--{} {text}: no such file (give a URL, or the path of a JPEG, PNG or WebP file)",
                        flag_name(name)
                    )));
                }
                // Checked now (format, size): nothing is sent for a bad image.
                ImageInput::file(&path)
                    .load()
                    .map_err(|e| Failure::input(format!("--{} {text}: {e}", flag_name(name))))?;
                self.files.push((name.to_owned(), index, path));
                Ok(Value::String(PENDING_UPLOAD.to_owned()))
            }
            _ => Ok(Value::String(text.to_owned())),
        }
    }
}

/// The place of member `name` (and list `index`) in `object`.
fn slot<'v>(object: &'v mut Value, name: &str, index: Option<usize>) -> Option<&'v mut Value> {
    let member = object.get_mut(name)?;
    match index {
        Some(i) => member.get_mut(i),
        None => Some(member),
    }
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
        None => format!(
            "price undocumented (a batch reserves {} until Segmind reports one)",
            segmind_ideogram_ledger::budget::highest_documented_price()
        ),
    }
}
