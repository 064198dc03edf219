//! Flags (and `--json`) to a validated request. Works on the JSON form and
//! the registry's field shapes, so it needs no per-endpoint code.
//!
//! A local file given to an image member is kept aside in a [`Draft`] and
//! checked at once (it exists, it is an image Segmind takes); it becomes a
//! URL from Segmind's storage, or an inline `data:` URI, only when the
//! request is sent.

use crate::paths::read_text;
use std::path::{Path, PathBuf};

use clap::ArgMatches;
use segmind_ideogram::{
    AnyRequest, Client, ColorPalette, EndpointInfo, FieldInfo, FieldShape, ImageInput,
};
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
            if let Some(value) = draft.flag_value(m, field)? {
                draft.object.insert(field.name.to_owned(), value);
            }
        }
        draft.check()?;
        Ok(draft)
    }

    /// The request as it will be sent, for `--dry-run`: local files named,
    /// long `data:` URIs shortened.
    pub fn for_display(&self, inline: bool) -> Result<Value, Failure> {
        // The validated request as it serializes, not as it was typed (a
        // seed written `500.0` is sent as `500`).
        let mut shown = serde_json::to_value(self.check()?)
            .map_err(|e| Failure::input(format!("cannot show the request: {e}")))?;
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
        Ok(for_display(&shown))
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
        field: &'static FieldInfo,
    ) -> Result<Option<Value>, Failure> {
        let name = field.name;
        Ok(match field.shape {
            FieldShape::Bool => m.get_flag(name).then_some(Value::Bool(true)),
            FieldShape::List(inner) => match m.get_raw(name) {
                None => None,
                Some(_) => Some(Value::Array(self.list_values(m, field, inner)?)),
            },
            FieldShape::Integer { .. } => m.get_one::<i64>(name).map(|v| Value::from(*v)),
            FieldShape::Number => m.get_one::<f64>(name).map(|v| Value::from(*v)),
            ref shape => match m.get_one::<String>(name) {
                Some(text) => Some(self.text_value(field, None, shape, text)?),
                None => None,
            },
        })
    }

    fn list_values(
        &mut self,
        m: &ArgMatches,
        field: &'static FieldInfo,
        inner: &FieldShape,
    ) -> Result<Vec<Value>, Failure> {
        let name = field.name;
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
                    .map(|(i, text)| self.text_value(field, Some(i), inner, text))
                    .collect()
            }
        }
    }

    /// A text flag's JSON value: a palette from its short form or JSON,
    /// choices in their wire spelling whatever the case (or the spelling of
    /// a size) given, and an image member that is not a URL is a local
    /// file, checked now and sent later.
    fn text_value(
        &mut self,
        field: &'static FieldInfo,
        index: Option<usize>,
        shape: &FieldShape,
        text: &str,
    ) -> Result<Value, Failure> {
        let name = field.name;
        match shape {
            FieldShape::Choice(values) => Ok(Value::String(
                values
                    .iter()
                    .find(|v| v.eq_ignore_ascii_case(text))
                    .map_or(text, |v| v)
                    .to_owned(),
            )),
            FieldShape::Json => palette(name, text),
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

/// A palette member's value: the JSON object, or the short form the crate
/// reads (`PASTEL`, `#b470b3:0.5,#ffffff`), checked by the spec's rules.
/// (The only object members of the spec are palettes; a test holds every
/// `Json` member of the registry to taking one.)
fn palette(name: &str, text: &str) -> Result<Value, Failure> {
    let trimmed = text.trim();
    if trimmed.starts_with(['{', '[']) {
        return serde_json::from_str(trimmed)
            .map_err(|e| Failure::input(format!("--{} is not valid JSON: {e}", flag_name(name))));
    }
    let palette = ColorPalette::parse(trimmed).map_err(|violation| {
        Failure::input(format!("--{} {text}: {name}.{violation}", flag_name(name)))
    })?;
    serde_json::to_value(palette).map_err(|e| Failure::input(format!("--{}: {e}", flag_name(name))))
}

/// The place of member `name` (and list `index`) in `object`.
fn slot<'v>(object: &'v mut Value, name: &str, index: Option<usize>) -> Option<&'v mut Value> {
    let member = object.get_mut(name)?;
    match index {
        Some(i) => member.get_mut(i),
        None => Some(member),
    }
}

/// Parses a JSON payload for `info` (from flags, `--json` or a batch
/// line), with every violation in one line. A choice given in another case
/// or, for a size, in the other spelling (`1024x1024` for
/// `RESOLUTION_1024_1024`) is read as the value it names.
pub fn validate(info: &'static EndpointInfo, mut payload: Value) -> Result<AnyRequest, Failure> {
    if let Value::Object(members) = &mut payload {
        for field in info.fields {
            if let Some(Value::String(text)) = members.get_mut(field.name)
                && let Some(Ok(value)) = field.choice(text)
            {
                *text = value.to_owned();
            }
        }
    }
    match AnyRequest::from_json(info.slug, &payload) {
        Some(Ok(request)) => Ok(request),
        Some(Err(errors)) => Err(Failure::input(errors.to_string())),
        None => Err(Failure::input(format!("unknown endpoint {}", info.slug))),
    }
}

/// The largest `--json` file: room for images inline (base64 of a few
/// tens of megabytes), no more.
const MAX_REQUEST_FILE: u64 = 64 << 20;

fn read_json_object(path: &Path) -> Result<Map<String, Value>, Failure> {
    let text = if path == Path::new("-") {
        read_text(std::io::stdin().lock(), MAX_REQUEST_FILE)
            .map_err(|e| Failure::input(format!("cannot read the request from stdin: {e}")))?
    } else {
        std::fs::File::open(path)
            .and_then(|file| read_text(file, MAX_REQUEST_FILE))
            .map_err(|e| Failure::input(format!("cannot read {}: {e}", path.display())))?
    };
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(_)) => serde_json::from_str::<Members>(&text)
            .map(|members| members.0)
            .map_err(|e| Failure::input(format!("{}: {e}", path.display()))),
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

/// A request's members, none given twice: JSON keeps the last of a
/// repeated member without a word, and the request sent would not be the
/// one the user reads in the file.
pub struct Members(pub Map<String, Value>);

impl<'de> serde::Deserialize<'de> for Members {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Members;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Members, A::Error> {
                let mut members = Map::new();
                while let Some((name, value)) = map.next_entry::<String, Value>()? {
                    if members.contains_key(&name) {
                        return Err(serde::de::Error::custom(format!(
                            "the member `{name}` is given twice"
                        )));
                    }
                    members.insert(name, value);
                }
                Ok(Members(members))
            }
        }
        d.deserialize_map(Visitor)
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

#[cfg(test)]
mod tests {
    use super::*;
    use segmind_ideogram::ENDPOINTS;

    /// `palette` reads every object member's flag as a palette: each one
    /// must take one.
    #[test]
    fn every_object_member_takes_a_palette() {
        for info in ENDPOINTS {
            for field in info.fields.iter().filter(|f| f.shape == FieldShape::Json) {
                for text in ["PASTEL", "#b470b3:0.5,#ffffff", r#"{"name": "EMBER"}"#] {
                    let value = palette(field.name, text).unwrap();
                    let payload = serde_json::json!({ field.name: value });
                    let errors = AnyRequest::from_json(info.slug, &payload)
                        .unwrap()
                        .err()
                        .map(|e| e.into_violations())
                        .unwrap_or_default();
                    assert!(
                        errors.iter().all(|v| !v.path.starts_with(field.name)),
                        "{}.{}: {errors:?}",
                        info.slug,
                        field.name
                    );
                }
            }
        }
    }

    #[test]
    fn a_choice_is_read_in_any_case_and_a_size_in_either_spelling() {
        let info = ENDPOINTS
            .iter()
            .find(|i| i.slug == "ideogram-txt-2-img")
            .unwrap();
        let request = validate(
            info,
            serde_json::json!({"prompt": "x", "resolution": "1280x720", "style_type": "anime"}),
        )
        .unwrap();
        let sent = serde_json::to_value(&request).unwrap();
        assert_eq!(sent["resolution"], "RESOLUTION_1280_720");
        assert_eq!(sent["style_type"], "ANIME");
    }
}
