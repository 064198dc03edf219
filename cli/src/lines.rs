//! A batch's input: one `{"endpoint": ..., "request": {...}}` per line,
//! each validated before anything is sent, with a stable id and a
//! fingerprint of the request as it will be sent.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use segmind_ideogram::{AnyRequest, EndpointInfo};
use serde_json::Value;

use crate::command::resolve_endpoint;
use crate::failure::Failure;
use crate::payload::validate;

/// One line that can run.
pub struct Line {
    pub id: String,
    /// A hash of the endpoint and the body as sent: the journal's records
    /// count only for the request they were made for.
    pub fingerprint: String,
    pub info: &'static EndpointInfo,
    pub request: AnyRequest,
    /// The body as sent, for matching the request history.
    pub payload: Value,
}

/// A line that cannot run: its id and why.
pub type Invalid = (String, String);

/// The lines that can run, and the ones that cannot.
pub fn read(path: &Path) -> Result<(Vec<Line>, Vec<Invalid>), Failure> {
    let file = File::open(path)
        .map_err(|e| Failure::input(format!("cannot read {}: {e}", path.display())))?;
    let mut lines = Vec::new();
    let mut invalid = Vec::new();
    let mut seen = HashMap::new();
    for (index, text) in BufReader::new(file).lines().enumerate() {
        let text =
            text.map_err(|e| Failure::input(format!("cannot read {}: {e}", path.display())))?;
        if text.trim().is_empty() {
            continue;
        }
        let number = index + 1;
        let parsed = parse(number, &text);
        let id = match &parsed {
            Ok(line) => line.id.clone(),
            Err((id, _)) => id.clone(),
        };
        if let Some(first) = seen.insert(id.clone(), number) {
            return Err(Failure::input(format!(
                "{}: lines {first} and {number} share the id `{id}`",
                path.display()
            )));
        }
        match parsed {
            Ok(line) => lines.push(line),
            Err(problem) => invalid.push(problem),
        }
    }
    Ok((lines, invalid))
}

fn parse(number: usize, text: &str) -> Result<Line, (String, String)> {
    let default_id = format!("line-{number:05}");
    let value: Value = serde_json::from_str(text)
        .map_err(|e| (default_id.clone(), format!("not valid JSON: {e}")))?;
    let id = match value.get("id") {
        None => default_id,
        Some(Value::String(s)) if is_safe_file_stem(s) => s.clone(),
        Some(other) => {
            return Err((
                default_id,
                format!("`id` must be a simple file name, found {other}"),
            ));
        }
    };
    let name = value
        .get("endpoint")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let info =
        resolve_endpoint(name).ok_or_else(|| (id.clone(), format!("unknown endpoint `{name}`")))?;
    let raw = value.get("request").cloned().unwrap_or(Value::Null);
    let request = validate(info, raw).map_err(|f| (id.clone(), f.message))?;
    let payload = serde_json::to_value(&request).map_err(|e| (id.clone(), e.to_string()))?;
    let fingerprint = format!(
        "{:016x}",
        fnv1a(format!("{}\n{payload}", info.slug).as_bytes())
    );
    Ok(Line {
        id,
        fingerprint,
        info,
        request,
        payload,
    })
}

fn is_safe_file_stem(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !s.starts_with('.')
}

/// A stable hash (unlike `DefaultHasher`), so journals survive upgrades.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_get_ids_fingerprints_and_reasons() {
        let ok = parse(
            3,
            r#"{"endpoint": "txt-2-img", "request": {"prompt": "x"}}"#,
        )
        .unwrap();
        assert_eq!(ok.id, "line-00003");
        assert_eq!(ok.payload, serde_json::json!({"prompt": "x"}));
        let same = parse(
            9,
            r#"{"id": "a", "endpoint": "ideogram-txt-2-img", "request": {"prompt": "x"}}"#,
        )
        .unwrap();
        assert_eq!(
            ok.fingerprint, same.fingerprint,
            "short name and slug are one endpoint"
        );
        let (id, reason) = parse(4, r#"{"id": "../x", "endpoint": "txt-2-img"}"#)
            .err()
            .unwrap();
        assert_eq!(id, "line-00004");
        assert!(reason.contains("simple file name"));
        let (_, reason) = parse(5, r#"{"endpoint": "txt-2-img", "request": {"seed": 1}}"#)
            .err()
            .unwrap();
        assert!(reason.contains("prompt"), "{reason}");
    }
}
