//! A batch's input: one `{"endpoint": ..., "request": {...}}` per line.
//!
//! The file is read twice. First every line is checked (one pass that
//! keeps only each line's key, its endpoint and where it is); then, while
//! the batch runs, the lines it submits are read again as they are sent
//! ([`JsonlSource`]), so a million lines need no million requests in
//! memory.
//!
//! A line without an `"id"` is named after its request
//! (`txt-2-img-3fa2c1d9e0b4`, then `-2`, `-3` for identical requests), not
//! its position: deleting or inserting lines must not rename the others,
//! or a rerun would take finished lines for new ones and pay for them again.
//!
//! An image member may name a local file (a path without a scheme),
//! relative to the input file's folder: it is uploaded to Segmind's storage
//! when its line is sent, and counts by its content in the line's key.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use segmind_ideogram::{AnyRequest, EndpointInfo, FieldShape, ImageInput};
use segmind_ideogram_ledger::runner::{Entry, Source};
use serde_json::Value;

use crate::command::{resolve_endpoint, short_name};
use crate::failure::Failure;
use crate::payload::validate;

/// What stands in for a local file while a line is validated.
const PENDING: &str = "https://storage.segmind.invalid/pending-upload/";

/// A line that cannot run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// Its line number in the file, from 1.
    pub number: usize,
    /// The id it is reported by (its own, or `line-00042`).
    pub id: String,
    /// Why.
    pub reason: String,
}

/// What one pass over the file found.
pub struct Scan {
    /// The lines that can run: key and endpoint.
    pub entries: Vec<Entry>,
    /// Their line numbers, in the same order.
    pub numbers: Vec<u32>,
    pub invalid: Vec<Invalid>,
}

/// Checks every line of `path`, keeping what the batch needs of each.
pub fn scan(path: &Path) -> Result<Scan, Failure> {
    let folder = folder_of(path);
    let file = File::open(path)
        .map_err(|e| Failure::input(format!("cannot read {}: {e}", path.display())))?;
    let mut scan = Scan {
        entries: Vec::new(),
        numbers: Vec::new(),
        invalid: Vec::new(),
    };
    // Ids seen (by the line that has each), and how often a request's
    // default id came up.
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut occurrences: HashMap<String, usize> = HashMap::new();
    let mut checked = HashSet::new();
    for (index, text) in BufReader::new(file).lines().enumerate() {
        let text =
            text.map_err(|e| Failure::input(format!("cannot read {}: {e}", path.display())))?;
        if text.trim().is_empty() {
            continue;
        }
        let number = index + 1;
        let parsed = parse(number, &text, &folder, &mut checked).and_then(|(id, request)| {
            let mut entry = Entry::of(id.clone().unwrap_or_default(), &request).map_err(|e| {
                (
                    label(number, id.as_deref()),
                    format!("cannot read an image: {e}"),
                )
            })?;
            if id.is_none() {
                let named = format!(
                    "{}-{}",
                    short_name(request.info().slug),
                    entry.key.fingerprint.short(12)
                );
                let n = occurrences.entry(named.clone()).or_insert(0);
                *n += 1;
                entry.key.line = if *n > 1 {
                    format!("{named}-{n}")
                } else {
                    named
                }
                .into();
            }
            Ok(entry)
        });
        let id = match &parsed {
            Ok(entry) => entry.key.line.to_string(),
            Err((id, _)) => id.clone(),
        };
        if let Some(first) = seen.insert(id.clone(), number) {
            return Err(Failure::input(format!(
                "{}: lines {first} and {number} share the id `{id}`",
                path.display()
            )));
        }
        match parsed {
            Ok(entry) => {
                scan.entries.push(entry);
                scan.numbers.push(u32::try_from(number).unwrap_or(u32::MAX));
            }
            Err((id, reason)) => scan.invalid.push(Invalid { number, id, reason }),
        }
    }
    Ok(scan)
}

/// The requests of a scanned file, read again as the batch sends them.
pub struct JsonlSource {
    path: PathBuf,
    /// Each entry's line number.
    numbers: Vec<u32>,
}

impl JsonlSource {
    pub fn new(path: &Path, numbers: Vec<u32>) -> Self {
        Self {
            path: path.to_path_buf(),
            numbers,
        }
    }
}

impl Source for JsonlSource {
    fn requests<'a>(
        &'a self,
        indexes: &'a [usize],
    ) -> Box<dyn Iterator<Item = (usize, Result<AnyRequest, String>)> + Send + 'a> {
        let file = match File::open(&self.path) {
            Ok(file) => file,
            Err(e) => {
                let why = format!("cannot read {} again: {e}", self.path.display());
                return Box::new(indexes.iter().map(move |&i| (i, Err(why.clone()))));
            }
        };
        let folder = folder_of(&self.path);
        let mut lines = BufReader::new(file).lines().enumerate();
        let mut checked = HashSet::new();
        Box::new(indexes.iter().map(move |&i| {
            let Some(&wanted) = self.numbers.get(i) else {
                return (i, Err(format!("no line for request {i}")));
            };
            let wanted = wanted as usize;
            let text = lines.find(|(index, _)| index + 1 == wanted);
            let request = match text {
                Some((_, Ok(text))) => parse(wanted, &text, &folder, &mut checked)
                    .map(|(_, request)| request)
                    .map_err(|(_, why)| why),
                Some((_, Err(e))) => Err(format!("cannot read line {wanted} again: {e}")),
                None => Err(format!("line {wanted} is gone from the file")),
            };
            (i, request)
        }))
    }
}

/// The folder local files are relative to.
fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The id a line is reported by before it has one.
fn label(number: usize, id: Option<&str>) -> String {
    id.map_or_else(|| format!("line-{number:05}"), str::to_owned)
}

/// The line's id (if it gives one) and its validated request; or the id it
/// is reported by and why it cannot run. `checked` holds the local files
/// already found to be images Segmind takes.
fn parse(
    number: usize,
    text: &str,
    folder: &Path,
    checked: &mut HashSet<PathBuf>,
) -> Result<(Option<String>, AnyRequest), (String, String)> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| (label(number, None), format!("not valid JSON: {e}")))?;
    let id = match value.get("id") {
        None => None,
        Some(Value::String(s)) if is_safe_file_stem(s) => Some(s.clone()),
        Some(other) => {
            return Err((
                label(number, None),
                format!("`id` must be a simple file name, found {other}"),
            ));
        }
    };
    let label = label(number, id.as_deref());
    let name = value
        .get("endpoint")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let info = resolve_endpoint(name)
        .ok_or_else(|| (label.clone(), format!("unknown endpoint `{name}`")))?;
    let mut raw = value.get("request").cloned().unwrap_or(Value::Null);
    let files = local_files(info, &mut raw, folder, checked).map_err(|why| (label.clone(), why))?;
    let mut request = validate(info, raw).map_err(|f| (label.clone(), f.message))?;
    for image in request.images_mut() {
        let slot = image
            .as_url()
            .and_then(|url| url.strip_prefix(PENDING))
            .and_then(|n| n.parse::<usize>().ok());
        if let Some(path) = slot.and_then(|n| files.get(n)) {
            *image = ImageInput::file(path);
        }
    }
    Ok((id, request))
}

/// Replaces each image member of `request` that names a local file with a
/// stand-in URL, and returns the files (the stand-ins' numbers index them).
fn local_files(
    info: &EndpointInfo,
    request: &mut Value,
    folder: &Path,
    checked: &mut HashSet<PathBuf>,
) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    let Value::Object(members) = request else {
        return Ok(files);
    };
    for field in info.fields {
        let is_image = |shape: &FieldShape| matches!(shape, FieldShape::Uri);
        let values: Vec<&mut Value> = match (&field.shape, members.get_mut(field.name)) {
            (FieldShape::List(inner), Some(Value::Array(items))) if is_image(inner) => {
                items.iter_mut().collect()
            }
            (shape, Some(value)) if is_image(shape) => vec![value],
            _ => continue,
        };
        for value in values {
            let Value::String(text) = value else {
                continue;
            };
            if text.contains("://") || text.starts_with("data:") {
                continue;
            }
            let path = folder.join(&*text);
            if checked.insert(path.clone()) {
                ImageInput::file(&path)
                    .load()
                    .map_err(|e| format!("{}: {text}: {e}", field.name))?;
            }
            *value = Value::String(format!("{PENDING}{}", files.len()));
            files.push(path);
        }
    }
    Ok(files)
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
    use segmind_ideogram_ledger::Fingerprint;

    fn parse_one(text: &str) -> Result<(Option<String>, AnyRequest), (String, String)> {
        parse(3, text, Path::new("."), &mut HashSet::new())
    }

    #[test]
    fn lines_get_requests_and_reasons() {
        let (id, ok) =
            parse_one(r#"{"endpoint": "txt-2-img", "request": {"prompt": "x"}}"#).unwrap();
        assert_eq!(id, None);
        let (id, same) = parse_one(
            r#"{"id": "a", "endpoint": "ideogram-txt-2-img", "request": {"prompt": "x"}}"#,
        )
        .unwrap();
        assert_eq!(id.as_deref(), Some("a"));
        assert_eq!(
            Fingerprint::of_request(&ok).unwrap(),
            Fingerprint::of_request(&same).unwrap(),
            "short name and slug are one endpoint"
        );
        let (id, reason) = parse_one(r#"{"id": "../x", "endpoint": "txt-2-img"}"#).unwrap_err();
        assert_eq!(id, "line-00003");
        assert!(reason.contains("simple file name"));
        let (_, reason) =
            parse_one(r#"{"endpoint": "txt-2-img", "request": {"seed": 1}}"#).unwrap_err();
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
            let scan = scan(&path).unwrap();
            assert!(scan.invalid.is_empty());
            scan.entries
                .into_iter()
                .map(|e| e.key.line.to_string())
                .collect::<Vec<_>>()
        };
        let all = ids(line("a") + &line("b") + &line("b") + &line("c"));
        let fingerprint = Fingerprint::of("ideogram-txt-2-img", r#"{"prompt":"a"}"#);
        assert_eq!(all[0], format!("txt-2-img-{}", fingerprint.short(12)));
        assert_eq!(
            all[2],
            format!("{}-2", all[1]),
            "identical requests are told apart"
        );
        // Deleting a line renames none of the others.
        let fewer = ids(line("b") + &line("b") + &line("c"));
        assert_eq!(fewer, all[1..]);
    }

    #[test]
    fn local_images_are_files_next_to_the_input() {
        let dir = tempfile::tempdir().unwrap();
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend_from_slice(&[0; 64]);
        std::fs::write(dir.path().join("in.png"), &png).unwrap();
        let path = dir.path().join("lines.jsonl");
        std::fs::write(
            &path,
            concat!(
                r#"{"id": "a", "endpoint": "img-2-img", "request": {"prompt": "x", "image_file": "in.png"}}"#,
                "\n",
                r#"{"id": "b", "endpoint": "img-2-img", "request": {"prompt": "x", "image_file": "missing.png"}}"#,
                "\n"
            ),
        )
        .unwrap();
        let scan = scan(&path).unwrap();
        assert_eq!(scan.entries.len(), 1);
        assert_eq!(scan.invalid[0].id, "b");
        assert!(
            scan.invalid[0].reason.contains("missing.png"),
            "{:?}",
            scan.invalid
        );
        // Read again, the line's image is the file.
        let source = JsonlSource::new(&path, scan.numbers.clone());
        let (_, request) = source.requests(&[0]).next().unwrap();
        let request = request.unwrap();
        assert_eq!(
            request.images()[0].as_file(),
            Some(dir.path().join("in.png").as_path())
        );
        assert_eq!(
            Fingerprint::of_request(&request).unwrap(),
            scan.entries[0].key.fingerprint
        );
    }
}
