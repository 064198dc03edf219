//! `x-source-deviations`: where the spec departs from a page on purpose.
//!
//! ```json
//! "x-source-deviations": [
//!   {"fact": "range", "page": "not stated", "reason": "..."}
//! ]
//! ```
//!
//! On a sync operation (`/v1/{slug}` with `x-segmind-endpoint`) `fact`
//! names an endpoint fact (`latency`, `queue`, `example.valid`); on a
//! property of a request schema it names an aspect of that parameter
//! (`range` on `seed` is the fact `seed.range`). `page` is what the page
//! said when the deviation was recorded: if the page changes, the record no
//! longer covers it and the disagreement is reported again.
//!
//! A record with `source` instead of `page` keeps a value against another
//! source than the page; [`super::wild`] checks those.

use segmind_ideogram_codegen::CodegenError;
use segmind_ideogram_codegen::model::Api;
use serde_json::Value;

use crate::Error;

pub const KEY: &str = "x-source-deviations";

/// One recorded deviation, resolved to the endpoint and fact it covers.
#[derive(Debug, Clone, PartialEq)]
pub struct Deviation {
    pub endpoint: String,
    pub field: String,
    pub page: String,
    pub reason: String,
}

/// Every deviation of the spec; a record in the wrong place or of the wrong
/// shape is an error naming its JSON pointer.
pub fn read(spec: &Value, api: &Api) -> Result<Vec<Deviation>, Error> {
    let mut allowed: Vec<(String, String, Option<String>)> = Vec::new();
    for endpoint in &api.endpoints {
        allowed.push((
            format!(
                "/paths/{}/post/{KEY}",
                escape(&format!("/v1/{}", endpoint.slug))
            ),
            endpoint.slug.clone(),
            None,
        ));
        if let Some(request) = api.struct_def(&endpoint.request) {
            for field in &request.fields {
                allowed.push((
                    format!(
                        "/components/schemas/{}/properties/{}/{KEY}",
                        escape(&request.name),
                        escape(&field.wire)
                    ),
                    endpoint.slug.clone(),
                    Some(field.wire.clone()),
                ));
            }
        }
    }
    let mut found = Vec::new();
    find(spec, String::new(), &mut found);
    let mut out = Vec::new();
    for pointer in found {
        let places: Vec<_> = allowed.iter().filter(|(p, _, _)| *p == pointer).collect();
        let records = spec.pointer(&pointer).unwrap_or(&Value::Null);
        // Records that keep a value against another source (`source`
        // instead of `page`) are the `wild` module's, and may sit anywhere.
        let all = array(records, &pointer)?;
        if !all.is_empty() && all.iter().all(|r| r.get("source").is_some()) {
            continue;
        }
        if places.is_empty() {
            return Err(invalid(
                &pointer,
                format!(
                    "`{KEY}` is read only on a /v1 operation with x-segmind-endpoint or on a property of its request schema"
                ),
            ));
        }
        for (endpoint, property) in places.iter().map(|(_, e, p)| (e, p)) {
            for (i, record) in array(records, &pointer)?
                .iter()
                .enumerate()
                .filter(|(_, r)| r.get("source").is_none())
            {
                let at = format!("{pointer}/{i}");
                let (fact, page, reason) = record_fields(record, &at)?;
                out.push(Deviation {
                    endpoint: endpoint.clone(),
                    field: match property {
                        Some(property) => format!("{property}.{fact}"),
                        None => fact,
                    },
                    page,
                    reason,
                });
            }
        }
    }
    Ok(out)
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn invalid(pointer: &str, message: String) -> Error {
    Error::Invalid(
        CodegenError {
            pointer: pointer.to_owned(),
            message,
        }
        .to_string(),
    )
}

/// Pointers of every `x-source-deviations` member in the document.
fn find(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let pointer = format!("{at}/{}", escape(key));
                if key == KEY {
                    out.push(pointer.clone());
                }
                find(child, pointer, out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                find(child, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn array<'a>(value: &'a Value, pointer: &str) -> Result<&'a Vec<Value>, Error> {
    value.as_array().ok_or_else(|| {
        invalid(
            pointer,
            "expected an array of {fact, page, reason} records".into(),
        )
    })
}

fn record_fields(record: &Value, at: &str) -> Result<(String, String, String), Error> {
    let Some(map) = record.as_object() else {
        return Err(invalid(
            at,
            "expected an object {fact, page, reason}".into(),
        ));
    };
    if let Some(key) = map
        .keys()
        .find(|k| !["fact", "page", "reason"].contains(&k.as_str()))
    {
        return Err(invalid(
            &format!("{at}/{}", escape(key)),
            format!("unknown member `{key}` (fact, page, reason)"),
        ));
    }
    let text = |key: &str| -> Result<String, Error> {
        match map.get(key) {
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
            Some(_) => Err(invalid(
                &format!("{at}/{key}"),
                format!("`{key}` must be a non-empty string"),
            )),
            None => Err(invalid(at, format!("missing `{key}`"))),
        }
    };
    Ok((text("fact")?, text("page")?, text("reason")?))
}
