//! Shared helpers for the workspace integration tests: where things are, the
//! spec, its examples, and an independent JSON Schema validator built on it.

pub mod answers;
pub mod corpus;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The standard output of `cargo ARGS` run at the workspace root (the
/// cargo that runs the tests); fails the test, with cargo's errors, when
/// it fails.
pub fn cargo(args: &[&str]) -> Vec<u8> {
    let output = Command::new(env!("CARGO"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// `cargo metadata` of the workspace's own packages (`--no-deps`).
pub fn workspace_metadata() -> Value {
    serde_json::from_slice(&cargo(&["metadata", "--no-deps", "--format-version", "1"]))
        .expect("cargo metadata is JSON")
}

/// The modules a Rust source file declares from other files (`mod name;`,
/// with or without visibility and attributes); inline modules are not.
pub fn declared_modules(source: &str) -> Vec<String> {
    let declaration =
        regex_lite::Regex::new(r"^\s*(?:#\[[^\]]*\]\s*)*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;")
            .unwrap();
    source
        .lines()
        .filter_map(|line| declaration.captures(line).map(|c| c[1].to_owned()))
        .collect()
}

/// The exit code of `tests/python/setup-venv.sh` when PyPI is unreachable.
pub const PYPI_UNREACHABLE: i32 = 75;

/// The Python SDK venv's python for a benchmark, or `None` (with a message
/// saying why) when it cannot be set up.
pub fn sdk_python_or_skip() -> Option<PathBuf> {
    let script = root().join("tests/python/setup-venv.sh");
    let output = Command::new("bash")
        .arg(&script)
        .current_dir(root())
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output();
    match output {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            let python = PathBuf::from(text.lines().last().unwrap_or_default().trim());
            python.is_file().then_some(python)
        }
        Ok(out) => {
            eprintln!(
                "skipping the Python SDK: {} exited with {} ({})",
                script.display(),
                out.status,
                if out.status.code() == Some(PYPI_UNREACHABLE) {
                    "PyPI unreachable"
                } else {
                    "setup failed"
                }
            );
            None
        }
        Err(e) => {
            eprintln!(
                "skipping the Python SDK: cannot run {}: {e}",
                script.display()
            );
            None
        }
    }
}

/// A reference list of `spec/sources/` (`ideogram-v2-resolutions.json`):
/// the values, in order.
pub fn reference_list(name: &str) -> Vec<String> {
    let path = root().join("spec/sources").join(name);
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// The spec's text.
pub fn spec_text() -> String {
    fs::read_to_string(root().join("spec/segmind-ideogram.openapi.json")).expect("spec readable")
}

/// The spec, decoded.
pub fn spec() -> Value {
    serde_json::from_str(&spec_text()).expect("spec is JSON")
}

/// One file of `spec/examples/<slug>/<name>.json`.
#[derive(Debug, Clone)]
pub struct Example {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub request: Value,
    /// (path, rule code) pairs the request must produce; empty when valid.
    pub violations: Vec<(String, String)>,
}

/// Every example, sorted by slug and name.
pub fn examples() -> Vec<Example> {
    let mut out = Vec::new();
    let dir = root().join("spec/examples");
    let mut slugs: Vec<_> = fs::read_dir(&dir)
        .expect("examples dir")
        .flatten()
        .collect();
    slugs.sort_by_key(|e| e.file_name());
    for slug_dir in slugs {
        let slug = slug_dir.file_name().to_string_lossy().into_owned();
        let mut files: Vec<_> = fs::read_dir(slug_dir.path())
            .expect("slug dir")
            .flatten()
            .collect();
        files.sort_by_key(|e| e.file_name());
        for file in files {
            let name = file
                .file_name()
                .to_string_lossy()
                .trim_end_matches(".json")
                .to_owned();
            let doc: Value = serde_json::from_str(&fs::read_to_string(file.path()).unwrap())
                .unwrap_or_else(|e| panic!("{slug}/{name}: {e}"));
            let violations = doc["violations"]
                .as_array()
                .expect("violations array")
                .iter()
                .map(|v| {
                    (
                        v["path"].as_str().unwrap().to_owned(),
                        v["rule"].as_str().unwrap().to_owned(),
                    )
                })
                .collect();
            out.push(Example {
                slug: slug.clone(),
                name,
                description: doc["description"].as_str().unwrap_or_default().to_owned(),
                request: doc["request"].clone(),
                violations,
            });
        }
    }
    out
}

/// The component schema name of the request body of `POST /v1/{slug}`.
pub fn request_schema_name(spec: &Value, slug: &str) -> String {
    let reference =
        spec["paths"][format!("/v1/{slug}")]["post"]["requestBody"]["content"]["application/json"]
            ["schema"]["$ref"]
            .as_str()
            .unwrap_or_else(|| panic!("no request body for {slug}"));
    reference
        .trim_start_matches("#/components/schemas/")
        .to_owned()
}

/// An independent validator (the `jsonschema` crate) for one component
/// schema of the spec, with formats checked as the spec asks.
pub fn spec_validator(spec: &Value, schema_name: &str) -> jsonschema::Validator {
    let schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": format!("#/components/schemas/{schema_name}"),
        "components": spec["components"],
    });
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{schema_name}: {e}"))
}

/// A JSON pointer (`/color_palette/members/2/color_hex`) as the client's
/// dotted path (`color_palette.members[2].color_hex`).
pub fn pointer_to_path(pointer: &str) -> String {
    let mut out = String::new();
    for segment in pointer.split('/').skip(1) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        if segment.chars().all(|c| c.is_ascii_digit()) && !segment.is_empty() {
            out.push_str(&format!("[{segment}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&segment);
        }
    }
    out
}

/// The member of request schema `schema_name` marked `x-segmind-member:
/// role` (`prompt`, `seed`, `output-size`): its name and its schema.
pub fn marked_member(spec: &Value, schema_name: &str, role: &str) -> Option<(String, Value)> {
    spec["components"]["schemas"][schema_name]["properties"]
        .as_object()?
        .iter()
        .find(|(_, prop)| prop["x-segmind-member"] == role)
        .map(|(name, prop)| (name.clone(), prop.clone()))
}

/// A property's default: its own, else that of the schema it refers to.
pub fn default_of(spec: &Value, prop: &Value) -> Option<Value> {
    prop.get("default").cloned().or_else(|| {
        let target = prop.get("$ref")?.as_str()?.trim_start_matches('#');
        spec.pointer(target)?.get("default").cloned()
    })
}
