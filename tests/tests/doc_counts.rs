//! The docs do not restate the counts the spec holds, or state them right:
//! a number the Markdown files (or the spec's own prose) give for a list of
//! resolutions must be the length of one of the spec's size enums. A page
//! that adds a resolution then fails here only where a doc still counts,
//! and the line to fix is named. (The CHANGELOG and the benchmarks record
//! what was true when they were written.)

use std::fs;
use std::path::{Path, PathBuf};

use regex_lite::Regex;
use segmind_ideogram_tests::{root, spec};
use serde_json::Value;

/// The lengths of the spec's enums whose every value names a size.
fn size_enum_lengths(spec: &Value) -> Vec<usize> {
    let sized = Regex::new(r"^\D*\d+\D+\d+\D*$").unwrap();
    spec["components"]["schemas"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(|s| s.get("enum")?.as_array())
        .filter(|values| {
            values
                .iter()
                .all(|v| v.as_str().is_some_and(|v| sized.is_match(v)))
        })
        .map(Vec::len)
        .collect()
}

/// Every count of resolutions `text` states: a number shortly before
/// "resolution(s)" in the same line, `v2 (78)`, `list of 78`, and
/// `78 values` on a line about resolutions. Sizes (`1024x1024`,
/// `RESOLUTION_1024_1024`) are no counts.
fn stated_counts(text: &str) -> Vec<(usize, String)> {
    let number = Regex::new(r"(^|[^0-9A-Za-z_.x-])(\d+)($|[^0-9A-Za-z_.x-])").unwrap();
    let near = Regex::new(r"(?i)resolutions?\b").unwrap();
    let other = [
        Regex::new(r"\bv\d \((\d+)\)").unwrap(),
        Regex::new(r"\blist of (\d+)\b").unwrap(),
    ];
    let values = Regex::new(r"\b(\d+) values\b").unwrap();
    let mut found = Vec::new();
    for line in text.lines() {
        let mut counts: Vec<usize> = Vec::new();
        for m in near.find_iter(line) {
            // The clause before the word: back to the last punctuation.
            let before = &line[..m.start()];
            let start = before
                .rfind([',', ';', ':', '(', '.', '|'])
                .map_or(0, |i| i + 1);
            let window = &before[start..];
            counts.extend(
                number
                    .captures_iter(window)
                    // `Ideogram 2` is a model, `the first 10` a part of a list.
                    .filter(|c| {
                        let before = &window[..c.get(2).unwrap().start()];
                        !before.ends_with("Ideogram ") && !before.ends_with("first ")
                    })
                    .filter_map(|c| c[2].parse::<usize>().ok()),
            );
        }
        for re in &other {
            counts.extend(
                re.captures_iter(line)
                    .filter_map(|c| c[1].parse::<usize>().ok()),
            );
        }
        if near.is_match(line) {
            counts.extend(
                values
                    .captures_iter(line)
                    .filter_map(|c| c[1].parse::<usize>().ok()),
            );
        }
        counts.sort_unstable();
        counts.dedup();
        found.extend(counts.into_iter().map(|n| (n, line.trim().to_owned())));
    }
    found
}

fn markdown_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if !matches!(name.as_str(), "target" | ".git" | "node_modules") {
                markdown_files(&path, out);
            }
        } else if name.ends_with(".md")
            && !matches!(name.as_str(), "CHANGELOG.md" | "BENCHMARKS.md")
        {
            out.push(path);
        }
    }
}

/// Every string of the spec (its descriptions become rustdoc).
fn prose(value: &Value, out: &mut String) {
    match value {
        Value::String(text) => {
            out.push_str(text);
            out.push('\n');
        }
        Value::Array(items) => items.iter().for_each(|v| prose(v, out)),
        Value::Object(map) => map.values().for_each(|v| prose(v, out)),
        _ => {}
    }
}

#[test]
fn every_count_of_resolutions_in_the_docs_is_the_spec_s() {
    let spec = spec();
    let lengths = size_enum_lengths(&spec);
    assert!(!lengths.is_empty());
    let mut files = Vec::new();
    markdown_files(&root(), &mut files);
    assert!(files.len() > 5, "{files:?}");
    let mut texts: Vec<(String, String)> = files
        .iter()
        .map(|f| {
            let shown = f.strip_prefix(root()).unwrap_or(f).display().to_string();
            (shown, fs::read_to_string(f).unwrap())
        })
        .collect();
    let mut spec_prose = String::new();
    prose(&spec, &mut spec_prose);
    texts.push(("spec/segmind-ideogram.openapi.json".into(), spec_prose));
    let stale: Vec<String> = texts
        .iter()
        .flat_map(|(file, text)| {
            stated_counts(text)
                .into_iter()
                .filter(|(n, _)| !lengths.contains(n))
                .map(move |(n, line)| format!("{file}: {n} in {line:?}"))
        })
        .collect();
    assert!(
        stale.is_empty(),
        "counts no size enum of the spec has (the spec's: {lengths:?}); fix them or stop counting:\n{}",
        stale.join("\n")
    );
}

#[test]
fn counts_are_found_and_sizes_are_not() {
    let counts =
        |text: &str| -> Vec<usize> { stated_counts(text).into_iter().map(|(n, _)| n).collect() };
    assert_eq!(
        counts("every enum (78 Ideogram 2 and 69 Ideogram 3 resolutions)"),
        [69, 78]
    );
    assert_eq!(
        counts("| ideogram-3-reframe | `image` | v3 (69) | yes |"),
        [69]
    );
    assert_eq!(
        counts("- reframe `resolution`: `WxH` strings, 70 values, default `1024x1024`."),
        [70]
    );
    assert_eq!(
        counts("the full list of 78 comes from Ideogram's reference"),
        [78]
    );
    assert!(counts("the default resolution is `RESOLUTION_1024_1024` or 1024x1024").is_empty());
    assert!(counts("seed 100–999999, and a resolution").is_empty());
    assert!(counts("every Ideogram 2 and Ideogram 3 resolution").is_empty());
    assert!(counts("shows the first 10 resolutions; `ideogram-3-remix`'s resolution").is_empty());
}
