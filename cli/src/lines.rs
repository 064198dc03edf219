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

use std::collections::HashSet;
use std::fs::File;
use std::hash::BuildHasher;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hashbrown::{DefaultHashBuilder, HashTable};

use segmind_ideogram::{AnyRequest, EndpointInfo, FieldShape, ImageInput, ParseEnumError};
use segmind_ideogram_ledger::runner::{Entry, Source};
use segmind_ideogram_ledger::{Fingerprint, Key, Slug};
use serde::Deserialize;
use serde_json::Value;

use crate::command::{resolve_endpoint, short_name, short_names};
use crate::failure::Failure;
use crate::paths::is_safe_file_stem;
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

/// Checks every line of `path`, keeping what the batch needs of each:
/// about 100 bytes a line (its key, endpoint and number), the tables that
/// find repeated ids and identical requests 4 to 8 bytes a line more.
pub fn scan(path: &Path) -> Result<Scan, Failure> {
    let folder = folder_of(path);
    let file = File::open(path)
        .map_err(|e| Failure::input(format!("cannot read {}: {e}", path.display())))?;
    let mut scan = Scan {
        entries: Vec::new(),
        numbers: Vec::new(),
        invalid: Vec::new(),
    };
    let mut ids = Ids::default();
    let mut defaults = DefaultNames::default();
    let mut checked = HashSet::new();
    for (number, text) in numbered_lines(BufReader::new(file)) {
        let text =
            text.map_err(|e| Failure::input(format!("cannot read {}: {e}", path.display())))?;
        if text.as_ref().is_ok_and(|t| t.trim().is_empty()) {
            continue;
        }
        let text = text.map_err(|why| (label(number, None), why));
        let parsed = text
            .and_then(|text| parse(number, &text, &folder, &mut checked))
            .and_then(|(id, request)| {
                let fingerprint = Fingerprint::of_request(&request).map_err(|e| {
                    (
                        label(number, id.as_deref()),
                        format!("cannot read an image: {e}"),
                    )
                })?;
                let slug = request.info().slug;
                let line: Arc<str> = match id {
                    Some(id) => id.into(),
                    None => defaults.name(&scan.entries, slug, fingerprint).into(),
                };
                Ok(Entry {
                    key: Key::new(line, fingerprint),
                    endpoint: Slug::of(slug),
                })
            });
        let too_many = || Failure::input(format!("{}: too many lines", path.display()));
        let line_number = u32::try_from(number).map_err(|_| too_many())?;
        let (at, id) = match &parsed {
            Ok(entry) => (Ids::valid(scan.entries.len()), &*entry.key.line),
            Err((id, _)) => (Ids::invalid(scan.invalid.len()), id.as_str()),
        };
        if let Some(first) = ids.insert(&scan, at.ok_or_else(too_many)?, id) {
            return Err(Failure::input(format!(
                "{}: lines {first} and {number} share the id `{id}`",
                path.display()
            )));
        }
        match parsed {
            Ok(entry) => {
                scan.entries.push(entry);
                scan.numbers.push(line_number);
            }
            Err((id, reason)) => scan.invalid.push(Invalid { number, id, reason }),
        }
    }
    Ok(scan)
}

/// The ids of the lines scanned so far, as positions in a [`Scan`] (an
/// entry's, or an invalid line's with the top bit set): a repeated id is
/// found without holding the ids a second time.
#[derive(Default)]
struct Ids {
    table: HashTable<u32>,
    hasher: DefaultHashBuilder,
}

impl Ids {
    const INVALID: u32 = 1 << 31;

    fn valid(index: usize) -> Option<u32> {
        u32::try_from(index).ok().filter(|&i| i < Self::INVALID)
    }

    fn invalid(index: usize) -> Option<u32> {
        Self::valid(index).map(|i| i | Self::INVALID)
    }

    fn id(scan: &Scan, at: u32) -> &str {
        let i = (at & !Self::INVALID) as usize;
        if at & Self::INVALID == 0 {
            &scan.entries[i].key.line
        } else {
            &scan.invalid[i].id
        }
    }

    fn number(scan: &Scan, at: u32) -> usize {
        let i = (at & !Self::INVALID) as usize;
        if at & Self::INVALID == 0 {
            scan.numbers[i] as usize
        } else {
            scan.invalid[i].number
        }
    }

    /// Records that the line about to be pushed at `at` has `id`; the line
    /// number of an earlier line with the same id, if any.
    fn insert(&mut self, scan: &Scan, at: u32, id: &str) -> Option<usize> {
        let hash = self.hasher.hash_one(id);
        if let Some(&first) = self.table.find(hash, |&j| Self::id(scan, j) == id) {
            return Some(Self::number(scan, first));
        }
        let hasher = &self.hasher;
        self.table
            .insert_unique(hash, at, |&j| hasher.hash_one(Self::id(scan, j)));
        None
    }
}

/// The names of lines without an id: `<endpoint>-<12 hex digits of the
/// request's fingerprint>`, then `-2`, `-3` for identical requests. The
/// table holds, per name, the entry that first had it and how many have.
#[derive(Default)]
struct DefaultNames {
    table: HashTable<(u32, u32)>,
    hasher: DefaultHashBuilder,
}

impl DefaultNames {
    /// Twelve hex digits of a fingerprint are its top 48 bits.
    fn group(slug: &str, fingerprint: Fingerprint) -> (&str, u64) {
        (slug, fingerprint.value() >> 16)
    }

    /// The name of the request about to be pushed to `entries`.
    fn name(&mut self, entries: &[Entry], slug: &'static str, fingerprint: Fingerprint) -> String {
        let named = format!("{}-{}", short_name(slug), fingerprint.short(12));
        let group = Self::group(slug, fingerprint);
        let group_of = |&(first, _): &(u32, u32)| {
            let entry = &entries[first as usize];
            Self::group(entry.endpoint.as_str(), entry.key.fingerprint)
        };
        let hash = self.hasher.hash_one(group);
        if let Some((_, count)) = self.table.find_mut(hash, |e| group_of(e) == group) {
            *count = count.saturating_add(1);
            return format!("{named}-{count}");
        }
        if let Ok(first) = u32::try_from(entries.len()) {
            let hasher = &self.hasher;
            self.table
                .insert_unique(hash, (first, 1), |e| hasher.hash_one(group_of(e)));
        }
        named
    }
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

    /// The file's lines, numbered from 1.
    fn open(&self) -> std::io::Result<impl Iterator<Item = (usize, LineText)>> {
        Ok(numbered_lines(BufReader::new(File::open(&self.path)?)))
    }
}

impl Source for JsonlSource {
    fn requests<'a>(
        &'a self,
        indexes: &'a [usize],
    ) -> Box<dyn Iterator<Item = (usize, Result<AnyRequest, String>)> + Send + 'a> {
        let cannot_read =
            |e: std::io::Error| format!("cannot read {} again: {e}", self.path.display());
        let mut lines = match self.open() {
            Ok(lines) => lines,
            Err(e) => {
                let why = cannot_read(e);
                return Box::new(indexes.iter().map(move |&i| (i, Err(why.clone()))));
            }
        };
        // The next line `lines` gives. One pass for ascending indexes (a
        // run's submissions); an earlier line reads the file again.
        let mut next = 1;
        let folder = folder_of(&self.path);
        let mut checked = HashSet::new();
        Box::new(indexes.iter().map(move |&i| {
            let Some(&wanted) = self.numbers.get(i) else {
                return (i, Err(format!("no line for request {i}")));
            };
            let wanted = wanted as usize;
            if wanted < next {
                match self.open() {
                    Ok(again) => (lines, next) = (again, 1),
                    Err(e) => return (i, Err(cannot_read(e))),
                }
            }
            let text = lines.find(|(number, _)| *number == wanted);
            next = wanted + 1;
            let request = match text {
                Some((_, Ok(Ok(text)))) => parse(wanted, &text, &folder, &mut checked)
                    .map(|(_, request)| request)
                    .map_err(|(_, why)| why),
                Some((_, Ok(Err(why)))) => Err(format!("line {wanted}: {why}")),
                Some((_, Err(e))) => Err(format!("cannot read line {wanted} again: {e}")),
                None => Err(format!("line {wanted} is gone from the file")),
            };
            (i, request)
        }))
    }
}

/// A line of the file: its text, or why it is no text (`Err` inside); the
/// outer `Err` is the file failing to be read.
type LineText = std::io::Result<Result<String, String>>;

/// The lines of `reader`, numbered from 1, without their `\n` or `\r\n`
/// and without a byte-order mark at the start of the file (editors on
/// Windows write one). A line that is not UTF-8 is that line's fault, not
/// the file's.
fn numbered_lines(mut reader: impl BufRead) -> impl Iterator<Item = (usize, LineText)> {
    let mut number = 0;
    std::iter::from_fn(move || {
        let mut bytes = Vec::new();
        match reader.read_until(b'\n', &mut bytes) {
            Ok(0) => return None,
            Ok(_) => {}
            Err(e) => return Some((number + 1, Err(e))),
        }
        number += 1;
        if bytes.ends_with(b"\n") {
            bytes.pop();
            if bytes.ends_with(b"\r") {
                bytes.pop();
            }
        }
        if number == 1 {
            crate::paths::strip_byte_order_mark(&mut bytes);
        }
        let text = String::from_utf8(bytes)
            .map_err(|e| format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to() + 1));
        Some((number, Ok(text)))
    })
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
    let line = read_line(text).map_err(|why| (label(number, None), why))?;
    let id = match line.id {
        None => None,
        Some(Value::String(s)) if is_safe_file_stem(&s) => Some(s),
        Some(other) => {
            return Err((
                label(number, None),
                format!("`id` must be a simple file name, found {other}"),
            ));
        }
    };
    let label = || label(number, id.as_deref());
    let info = endpoint_of(line.endpoint.as_ref()).map_err(|why| (label(), why))?;
    let mut raw = request_of(line.request, text, info).map_err(|why| (label(), why))?;
    let files = local_files(info, &mut raw, folder, checked).map_err(|why| (label(), why))?;
    let mut request = validate(info, raw).map_err(|f| (label(), f.message))?;
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

/// The endpoint a line names, or why it names none (with the names, and
/// the one that a typo was meant to be).
fn endpoint_of(endpoint: Option<&Value>) -> Result<&'static EndpointInfo, String> {
    let names = short_names();
    match endpoint {
        None => Err(format!(
            "no \"endpoint\": give one of {} (or the full slug)",
            names.join(", ")
        )),
        Some(Value::String(name)) => resolve_endpoint(name).ok_or_else(|| {
            let similar = match ParseEnumError::new("endpoint", name, names).closest[..] {
                [] => String::new(),
                ref closest => format!("; a similar one exists: {}", closest.join(" or ")),
            };
            format!(
                "unknown endpoint `{name}`: give one of {} (or the full slug){similar}",
                names.join(", ")
            )
        }),
        Some(other) => Err(format!(
            "\"endpoint\" must be a name such as \"{}\", found {other}",
            names[0]
        )),
    }
}

/// The line's request object, or why there is none: a request's members
/// written beside `endpoint` (not under `request`) are named as such (the
/// line's `text` is read again for them, on this error path only).
fn request_of(request: Option<Value>, text: &str, info: &EndpointInfo) -> Result<Value, String> {
    match request {
        Some(request @ Value::Object(_)) => Ok(request),
        Some(other) => Err(format!("\"request\" must be a JSON object, found {other}")),
        None => {
            let line: Value = serde_json::from_str(text).unwrap_or_default();
            let misplaced: Vec<&str> = line
                .as_object()
                .into_iter()
                .flat_map(|o| o.keys())
                .map(String::as_str)
                .filter(|key| info.field(key).is_some())
                .collect();
            if misplaced.is_empty() {
                Err("no \"request\": give the request's members under \"request\": {...}".into())
            } else {
                Err(format!(
                    "the request's members ({}) go under \"request\": \
                     {{\"endpoint\": \"{}\", \"request\": {{\"{}\": ...}}}}",
                    misplaced.join(", "),
                    short_name(info.slug),
                    misplaced[0]
                ))
            }
        }
    }
}

/// A line's members (any other is ignored). Read into this rather than a
/// JSON map: the line's request is then not copied out of it.
#[derive(Deserialize)]
struct Line {
    #[serde(default, deserialize_with = "present")]
    id: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    endpoint: Option<Value>,
    #[serde(default, deserialize_with = "present_request")]
    request: Option<Value>,
}

/// The request, an object read with no member given twice
/// ([`Members`](crate::payload::Members)); anything else as it is, for
/// its own message.
fn present_request<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    use serde::de::Error as _;
    let raw = Box::<serde_json::value::RawValue>::deserialize(d)?;
    let value = if raw.get().starts_with('{') {
        serde_json::from_str::<crate::payload::Members>(raw.get())
            .map(|members| Value::Object(members.0))
    } else {
        serde_json::from_str(raw.get())
    };
    value
        .map(Some)
        .map_err(|e| D::Error::custom(format!("request: {e}")))
}

/// A member given, even as `null` (which `Option` alone would take for
/// missing).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// The members of one line of text, or why it is not a line.
fn read_line(text: &str) -> Result<Line, String> {
    serde_json::from_str(text).map_err(|e| match serde_json::from_str::<Value>(text) {
        Err(e) => format!("not valid JSON: {e}"),
        Ok(Value::Object(_)) => e.to_string(),
        Ok(_) => "not a JSON object".to_owned(),
    })
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
    fn mistakes_in_a_line_say_what_to_write_instead() {
        for (text, expected) in [
            (
                r#"{"request": {"prompt": "x"}}"#,
                r#"no "endpoint": give one of txt-2-img, img-2-img"#,
            ),
            (
                r#"{"endpoint": "", "request": {"prompt": "x"}}"#,
                "unknown endpoint ``: give one of txt-2-img, img-2-img, ",
            ),
            (
                r#"{"endpoint": "txt2img", "request": {"prompt": "x"}}"#,
                "; a similar one exists: txt-2-img",
            ),
            (
                r#"{"endpoint": "txt-2-img", "prompt": "x", "seed": 4242}"#,
                r#"the request's members (prompt, seed) go under "request": {"endpoint": "txt-2-img", "request": {"prompt": ...}}"#,
            ),
            (
                r#"{"endpoint": "txt-2-img", "request": "a fox"}"#,
                r#""request" must be a JSON object, found "a fox""#,
            ),
            (
                r#"{"endpoint": "txt-2-img", "request": {"prompt": "x", "resolution": "1000x1000"}}"#,
                "resolution: `1000x1000` is not one of the 78 possible values; the closest: RESOLUTION_1024_1024",
            ),
            (
                r#"{"endpoint": "txt-2-img", "request": {"prompt": "x", "color_palette": {"name": "PASTELL"}}}"#,
                "a similar value exists: PASTEL",
            ),
        ] {
            let (_, reason) = parse_one(text).unwrap_err();
            assert!(reason.contains(expected), "{text}: {reason}");
            assert!(!reason.contains("PalettePresetName"), "{reason}");
        }
    }

    #[test]
    fn a_size_reads_in_either_spelling_and_a_choice_in_any_case() {
        let body = |text: &str| {
            let (_, request) = parse_one(text).unwrap();
            serde_json::to_value(&request).unwrap()
        };
        let v2 = body(
            r#"{"endpoint": "txt-2-img", "request": {"prompt": "x", "resolution": "1280x720", "style_type": "design"}}"#,
        );
        assert_eq!(v2["resolution"], "RESOLUTION_1280_720");
        assert_eq!(v2["style_type"], "DESIGN");
        let v3 = body(
            r#"{"endpoint": "3-reframe", "request": {"image": "https://e.com/a.png", "resolution": "RESOLUTION_800_1280"}}"#,
        );
        assert_eq!(v3["resolution"], "800x1280");
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

    fn scan_text(text: &str) -> Result<Scan, Failure> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lines.jsonl");
        std::fs::write(&path, text).unwrap();
        scan(&path)
    }

    #[test]
    fn a_repeated_id_is_refused_with_both_line_numbers() {
        let ok = |id: &str| {
            format!(r#"{{"id": "{id}", "endpoint": "txt-2-img", "request": {{"prompt": "x"}}}}"#)
        };
        let bad = |id: &str| format!(r#"{{"id": "{id}", "endpoint": "nope"}}"#);
        for (lines, first, second) in [
            (vec![ok("a"), ok("b"), ok("a")], 1, 3),
            (vec![ok("a"), bad("b"), String::new(), bad("b")], 2, 4),
            (vec![bad("a"), ok("a")], 1, 2),
            (vec![ok("a"), bad("a")], 1, 2),
        ] {
            let failure = scan_text(&lines.join("\n")).err().expect("refused");
            let expected = format!("lines {first} and {second} share the id");
            assert!(failure.message.contains(&expected), "{}", failure.message);
        }
        // A default name taken by an explicit id is a repeated id too.
        let plain = r#"{"endpoint": "txt-2-img", "request": {"prompt": "x"}}"#;
        let named = scan_text(plain).unwrap().entries[0].key.line.to_string();
        let failure = scan_text(&[plain.to_owned(), ok(&named)].join("\n"))
            .err()
            .expect("refused");
        assert!(
            failure.message.contains("lines 1 and 2"),
            "{}",
            failure.message
        );
    }

    #[test]
    fn identical_requests_are_numbered_per_endpoint() {
        let line = |endpoint: &str| {
            format!(r#"{{"endpoint": "{endpoint}", "request": {{"prompt": "x"}}}}"#)
        };
        let text = [line("txt-2-img"), line("txt-2-img"), line("txt-2-img")].join("\n");
        let names: Vec<String> = scan_text(&text)
            .unwrap()
            .entries
            .iter()
            .map(|e| e.key.line.to_string())
            .collect();
        assert_eq!(names[1], format!("{}-2", names[0]));
        assert_eq!(names[2], format!("{}-3", names[0]));
    }

    #[test]
    fn the_source_reads_lines_again_in_any_order() {
        // Submissions the request history sends back come in the order it
        // settled them: line 2 asked after line 3 was once "gone".
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lines.jsonl");
        let line =
            |p: &str| format!(r#"{{"endpoint": "txt-2-img", "request": {{"prompt": "{p}"}}}}"#);
        std::fs::write(
            &path,
            [line("a"), String::new(), line("b"), line("c")].join("\n"),
        )
        .unwrap();
        let scan = scan(&path).unwrap();
        assert_eq!(scan.numbers, [1, 3, 4]);
        let source = JsonlSource::new(&path, scan.numbers);
        let read: Vec<(usize, String)> = source
            .requests(&[2, 0, 1, 1])
            .map(|(i, request)| {
                let request = request.unwrap_or_else(|why| panic!("entry {i}: {why}"));
                (
                    i,
                    serde_json::to_value(&request).unwrap()["prompt"].to_string(),
                )
            })
            .collect();
        let expected =
            [(2, "c"), (0, "a"), (1, "b"), (1, "b")].map(|(i, p)| (i, format!("\"{p}\"")));
        assert_eq!(read, expected);
    }

    #[test]
    fn a_byte_order_mark_crlf_and_a_line_that_is_not_utf8() {
        let line = |id: &str| {
            format!(r#"{{"id": "{id}", "endpoint": "txt-2-img", "request": {{"prompt": "x"}}}}"#)
        };
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend(format!("{}\r\n", line("a")).bytes());
        bytes.extend(b"{\"id\": \"b\xFF\"}\r\n");
        bytes.extend(format!("{}\r\n", line("c")).bytes());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lines.jsonl");
        std::fs::write(&path, bytes).unwrap();
        let scan = scan(&path).unwrap();
        let ids: Vec<&str> = scan.entries.iter().map(|e| &*e.key.line).collect();
        assert_eq!(ids, ["a", "c"], "the mark and the \\r are not the line's");
        assert_eq!(scan.numbers, [1, 3]);
        assert_eq!(scan.invalid.len(), 1);
        assert_eq!(scan.invalid[0].number, 2);
        assert!(
            scan.invalid[0].reason.contains("not UTF-8"),
            "{:?}",
            scan.invalid
        );
        // Read again, the first line is the same request (its mark dropped).
        let source = JsonlSource::new(&path, scan.numbers);
        let again: Vec<_> = source.requests(&[0, 1]).collect();
        for (i, request) in again {
            let request = request.unwrap_or_else(|why| panic!("entry {i}: {why}"));
            assert_eq!(
                Fingerprint::of_request(&request).unwrap(),
                scan.entries[i].key.fingerprint
            );
        }
    }

    #[test]
    fn lines_that_are_not_objects_say_so() {
        for (text, says) in [
            ("3", "not a JSON object"),
            ("{", "not valid JSON"),
            (
                r#"{"id": null, "endpoint": "txt-2-img"}"#,
                "simple file name, found null",
            ),
            (r#"{"id": "a", "id": "b"}"#, "duplicate field"),
            (
                r#"{"endpoint": "txt-2-img", "request": {"prompt": "a", "prompt": "b"}}"#,
                "the member `prompt` is given twice",
            ),
        ] {
            let (_, reason) = parse_one(text).unwrap_err();
            assert!(reason.contains(says), "{text}: {reason}");
        }
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
