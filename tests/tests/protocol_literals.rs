//! A fact about Segmind's protocol lives in the spec and is generated; the
//! hand-written code of the client, the mock, the ledger and the command
//! line reads it from `segmind_ideogram::API` (and the generated types),
//! never spells it again. This test takes the facts from the spec itself
//! (response header names, the key's header, the paths of the protocol's
//! operations, the seed's bounds, the templater's `{request_id}`) and looks
//! for them in the code outside `src/generated/` (comments and unit tests
//! aside, which may name them).

use std::fs;
use std::path::{Path, PathBuf};

use segmind_ideogram_tests::{root, spec};
use serde_json::Value;

/// The crates whose hand-written sources are searched.
const CRATES: &[&str] = &["client", "mock", "cli", "ledger"];

/// Literals the spec defines, each with what it is.
fn protocol_literals() -> Vec<(String, String)> {
    let spec = spec();
    let mut out = Vec::new();
    let mut headers = Vec::new();
    collect_headers(&spec, &mut headers);
    for header in headers {
        out.push((
            format!("\"{header}\""),
            format!("the response header {header}"),
        ));
    }
    for (_, scheme) in spec["components"]["securitySchemes"].as_object().unwrap() {
        let name = scheme["name"].as_str().unwrap().to_ascii_lowercase();
        out.push((format!("\"{name}\""), "the key's header".to_owned()));
    }
    for (path, item) in spec["paths"].as_object().unwrap() {
        let roled = item
            .as_object()
            .unwrap()
            .values()
            .any(|op| op.get("x-segmind-role").is_some());
        if roled {
            // The fixed part before any `{variable}`: `/v2/requests/`.
            let fixed = path.split('{').next().unwrap();
            out.push((format!("\"{fixed}"), format!("the path of {path}")));
        }
    }
    for bound in ["minimum", "maximum"] {
        let value = spec["components"]["schemas"]["Seed"][bound]
            .as_i64()
            .unwrap();
        // Small numbers are everywhere; a bound worth spelling is not.
        if value >= 1000 {
            out.push((value.to_string(), format!("the seed's {bound}")));
            let grouped = group_digits(value);
            out.push((grouped, format!("the seed's {bound}")));
        }
    }
    out.push((
        "\"{request_id}\"".to_owned(),
        "a second URL templater (use Operation::url)".to_owned(),
    ));
    out
}

fn collect_headers(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Object(headers)) = map.get("headers") {
                for name in headers.keys() {
                    let name = name.to_ascii_lowercase();
                    if name.starts_with("x-") && !out.contains(&name) {
                        out.push(name);
                    }
                }
            }
            map.values().for_each(|v| collect_headers(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_headers(v, out)),
        _ => {}
    }
}

/// `999999` as `999_999`.
fn group_digits(value: i64) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('_');
        }
        out.push(c);
    }
    out
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "generated") {
                sources(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code lines of a file: comments and its unit tests left out.
fn code_lines(text: &str) -> Vec<(usize, &str)> {
    let code = text.split("#[cfg(test)]").next().unwrap_or_default();
    code.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim_start().starts_with("//"))
        .map(|(i, line)| (i + 1, line))
        .collect()
}

#[test]
fn no_protocol_fact_is_spelled_outside_generated_code() {
    let literals = protocol_literals();
    assert!(literals.len() >= 12, "{literals:?}");
    let mut files = Vec::new();
    for krate in CRATES {
        sources(&root().join(krate).join("src"), &mut files);
    }
    assert!(files.len() > 40, "{} files", files.len());
    let mut found = Vec::new();
    for file in &files {
        let text = fs::read_to_string(file).unwrap();
        for (number, line) in code_lines(&text) {
            for (literal, what) in &literals {
                if line.contains(literal.as_str()) {
                    let shown = file.strip_prefix(root()).unwrap_or(file).display();
                    found.push(format!("{shown}:{number}: {what}: {}", line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "protocol facts spelled by hand (read them from segmind_ideogram::API):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_search_finds_a_spelled_fact() {
    // The test can fail: a line that names a header, as the mock's once
    // did, is found; a comment that names it is not.
    let literals = protocol_literals();
    let text = "// x-remaining-credits is read from API.headers\n    insert(h, \"x-remaining-credits\", &credits);\n";
    let hits: Vec<usize> = code_lines(text)
        .into_iter()
        .filter(|(_, line)| literals.iter().any(|(l, _)| line.contains(l.as_str())))
        .map(|(n, _)| n)
        .collect();
    assert_eq!(hits, [2]);
    assert!(literals.iter().any(|(l, _)| l == "\"/v2/requests/"));
    assert!(literals.iter().any(|(l, _)| l == "999_999"));
}
