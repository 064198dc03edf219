//! A batch's input: one `{"endpoint": ..., "request": {...}}` per line,
//! each validated before anything is sent, with a stable id and a
//! fingerprint of the request as it will be sent.
//!
//! A line without an `"id"` is named after its request
//! (`txt-2-img-3fa2c1d9e0b4`, then `-2`, `-3` for identical requests), not
//! its position: deleting or inserting lines must not rename the others,
//! or a rerun would take finished lines for new ones and pay for them again.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use segmind_ideogram::AnyRequest;
use segmind_ideogram_ledger::Fingerprint;
use serde_json::Value;

use crate::command::{resolve_endpoint, short_name};
use crate::failure::Failure;
use crate::payload::validate;

/// One line that can run: its id and its validated request.
pub struct Line {
    pub id: String,
    pub request: AnyRequest,
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
    let mut occurrences: HashMap<String, usize> = HashMap::new();
    for (index, text) in BufReader::new(file).lines().enumerate() {
        let text =
            text.map_err(|e| Failure::input(format!("cannot read {}: {e}", path.display())))?;
        if text.trim().is_empty() {
            continue;
        }
        let number = index + 1;
        let mut parsed = parse(number, &text);
        if let Ok((line, false)) = &mut parsed {
            let n = occurrences.entry(line.id.clone()).or_insert(0);
            *n += 1;
            if *n > 1 {
                line.id = format!("{}-{n}", line.id);
            }
        }
        let parsed = parsed.map(|(line, _)| line);
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

/// The line, and whether its id was given; or the id it is reported by
/// (its position, when it has none that can be used) and why it cannot run.
fn parse(number: usize, text: &str) -> Result<(Line, bool), (String, String)> {
    let default_id = format!("line-{number:05}");
    let value: Value = serde_json::from_str(text)
        .map_err(|e| (default_id.clone(), format!("not valid JSON: {e}")))?;
    let id = match value.get("id") {
        None => None,
        Some(Value::String(s)) if is_safe_file_stem(s) => Some(s.clone()),
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
    let label = id.clone().unwrap_or(default_id);
    let info = resolve_endpoint(name)
        .ok_or_else(|| (label.clone(), format!("unknown endpoint `{name}`")))?;
    let raw = value.get("request").cloned().unwrap_or(Value::Null);
    let request = validate(info, raw).map_err(|f| (label.clone(), f.message))?;
    // Named after its request, not its position: the ledger's own
    // fingerprint of the body as sent.
    let body = serde_json::to_string(&request).map_err(|e| (label.clone(), e.to_string()))?;
    let fingerprint = Fingerprint::of(info.slug, &body);
    let given = id.is_some();
    let id = id.unwrap_or_else(|| format!("{}-{}", short_name(info.slug), fingerprint.short(12)));
    Ok((Line { id, request }, given))
}

fn is_safe_file_stem(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !s.starts_with('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_get_ids_fingerprints_and_reasons() {
        let (ok, given) = parse(
            3,
            r#"{"endpoint": "txt-2-img", "request": {"prompt": "x"}}"#,
        )
        .unwrap();
        assert!(!given);
        let fingerprint = Fingerprint::of("ideogram-txt-2-img", r#"{"prompt":"x"}"#);
        assert_eq!(ok.id, format!("txt-2-img-{}", fingerprint.short(12)));
        let (same, given) = parse(
            9,
            r#"{"id": "a", "endpoint": "ideogram-txt-2-img", "request": {"prompt": "x"}}"#,
        )
        .unwrap();
        assert!(given);
        assert_eq!(same.id, "a");
        assert_eq!(
            serde_json::to_string(&ok.request).unwrap(),
            serde_json::to_string(&same.request).unwrap(),
            "short name and slug are one endpoint"
        );
        assert_eq!(ok.request.info().slug, same.request.info().slug);
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

    #[test]
    fn default_ids_follow_the_request_not_the_position() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lines.jsonl");
        let line = |prompt: &str| {
            format!(r#"{{"endpoint": "txt-2-img", "request": {{"prompt": "{prompt}"}}}}"#) + "\n"
        };
        let ids = |text: String| {
            std::fs::write(&path, text).unwrap();
            let (lines, invalid) = read(&path).unwrap();
            assert!(invalid.is_empty());
            lines.into_iter().map(|l| l.id).collect::<Vec<_>>()
        };
        let all = ids(line("a") + &line("b") + &line("b") + &line("c"));
        assert_eq!(
            all[2],
            format!("{}-2", all[1]),
            "identical requests are told apart"
        );
        // Deleting a line renames none of the others.
        let fewer = ids(line("b") + &line("b") + &line("c"));
        assert_eq!(fewer, all[1..]);
    }
}
