//! Each published crate is complete on its own: `cargo package --list`
//! holds its licences (copies of the workspace's, kept identical here), a
//! README whose links work on the registry's page (absolute), and no file
//! that reads a path outside the package. `bash .ci/packages --test` runs
//! the unpacked packages' tests; this is the quick guard that runs always.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use segmind_ideogram_tests::{cargo, declared_modules, root, workspace_metadata};
use serde_json::Value;

/// The published members' `cargo metadata` entries.
fn published_packages() -> Vec<Value> {
    let metadata = workspace_metadata();
    let crates: Vec<Value> = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        // `publish = false` is an empty list of registries.
        .filter(|p| p["publish"].as_array().is_none_or(|r| !r.is_empty()))
        .cloned()
        .collect();
    assert!(crates.len() >= 3, "{crates:?}");
    crates
}

/// The published members: (name, manifest directory).
fn published() -> Vec<(String, PathBuf)> {
    published_packages()
        .iter()
        .map(|p| {
            let manifest = PathBuf::from(p["manifest_path"].as_str().unwrap());
            let name = p["name"].as_str().unwrap().to_owned();
            (name, manifest.parent().unwrap().to_owned())
        })
        .collect()
}

/// The files `cargo package` would put in the crate's package.
fn packaged(name: &str) -> BTreeSet<String> {
    let list = cargo(&["package", "--list", "--allow-dirty", "-p", name]);
    String::from_utf8(list)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_published_crate_carries_its_licences_and_a_readme() {
    for (name, dir) in published() {
        let files = packaged(&name);
        for licence in ["LICENSE-MIT", "LICENSE-APACHE"] {
            assert!(files.contains(licence), "{name} packages no {licence}");
            assert_eq!(
                std::fs::read(dir.join(licence)).unwrap(),
                std::fs::read(root().join(licence)).unwrap(),
                "{name}/{licence} differs from the workspace's: copy it again"
            );
        }
        assert!(files.contains("README.md"), "{name} packages no README.md");
        let relative = relative_links(&std::fs::read_to_string(dir.join("README.md")).unwrap());
        assert!(
            relative.is_empty(),
            "{name}/README.md links relatively (broken on the registry's page): {relative:?}"
        );
    }
}

/// Markdown link targets that are neither absolute URLs nor anchors.
fn relative_links(markdown: &str) -> Vec<String> {
    let link = regex_lite::Regex::new(r"\]\(([^)\s]+)\)").unwrap();
    link.captures_iter(markdown)
        .map(|c| c[1].to_owned())
        .filter(|target| !(target.starts_with("https://") || target.starts_with('#')))
        .collect()
}

#[test]
fn relative_links_are_found() {
    let text = "[a](https://x.org/a) [b](spec/README.md) [c](#usage) [d](../LICENSE)";
    assert_eq!(relative_links(text), ["spec/README.md", "../LICENSE"]);
}

#[test]
fn no_packaged_file_names_a_path_outside_its_package() {
    for (name, dir) in published() {
        for file in packaged(&name).iter().filter(|f| f.ends_with(".rs")) {
            let text = std::fs::read_to_string(dir.join(file)).unwrap();
            let escapes = escaping_paths(Path::new(file), &text);
            assert!(
                escapes.is_empty(),
                "{name}/{file} reads outside its package: {escapes:?}"
            );
        }
    }
}

/// The string literals of a source file (at `file`, relative to its
/// package) that name a path above the package's root: relative to the
/// package for a `CARGO_MANIFEST_DIR` line, else to the file (`include_str!`,
/// `include_bytes!`, `#[path]`, insta's `glob!`).
fn escaping_paths(file: &Path, text: &str) -> Vec<String> {
    let literal = regex_lite::Regex::new(r#""([^"\n]*\.\./[^"\n]*)""#).unwrap();
    let mut found = Vec::new();
    for line in text.lines() {
        for captures in literal.captures_iter(line) {
            let path = captures[1].trim_start_matches('/');
            let base = if line.contains("CARGO_MANIFEST_DIR") {
                Path::new("")
            } else {
                file.parent().unwrap_or(Path::new(""))
            };
            if leaves_root(&base.join(path)) {
                found.push(captures[1].to_owned());
            }
        }
    }
    found
}

/// Whether a relative path climbs above where it starts.
fn leaves_root(path: &Path) -> bool {
    let mut depth = 0i32;
    for part in path.components() {
        match part {
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            _ => {}
        }
        if depth < 0 {
            return true;
        }
    }
    false
}

#[test]
fn paths_outside_the_package_are_found() {
    let lib = Path::new("src/lib.rs");
    assert!(escaping_paths(lib, r#"#[doc = include_str!("../README.md")]"#).is_empty());
    assert_eq!(
        escaping_paths(lib, r#"#[doc = include_str!("../../README.md")]"#),
        ["../../README.md"]
    );
    let test = Path::new("tests/commands.rs");
    assert_eq!(
        escaping_paths(
            test,
            r#"Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/examples")"#
        ),
        ["../spec/examples"]
    );
    assert_eq!(
        escaping_paths(
            test,
            r#"concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/x.json")"#
        ),
        ["/../spec/x.json"]
    );
    assert!(escaping_paths(test, r#"include_bytes!("../fixtures/tiny.jpg")"#).is_empty());
}

#[test]
fn every_module_a_packaged_file_declares_is_packaged() {
    for package in published_packages() {
        let name = package["name"].as_str().unwrap();
        let dir = Path::new(package["manifest_path"].as_str().unwrap())
            .parent()
            .unwrap();
        // Crate roots (each target's file) hold their modules beside them.
        let roots: BTreeSet<String> = package["targets"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|t| {
                let path = Path::new(t["src_path"].as_str().unwrap());
                Some(path.strip_prefix(dir).ok()?.to_string_lossy().into_owned())
            })
            .collect();
        let files = packaged(name);
        for file in files.iter().filter(|f| f.ends_with(".rs")) {
            let text = std::fs::read_to_string(dir.join(file)).unwrap();
            let missing = missing_modules(file, roots.contains(file), &text, &files);
            assert!(
                missing.is_empty(),
                "{name}/{file} declares modules its package leaves out: {missing:?} \
                 (exclude the file too, or include the modules)"
            );
        }
    }
}

/// The `mod name;` declarations of `file` (relative to its package) that
/// no file in `files` holds: `name.rs` or `name/mod.rs` beside a crate root
/// or a `mod.rs`, or in the folder named after any other file.
fn missing_modules(file: &str, root: bool, text: &str, files: &BTreeSet<String>) -> Vec<String> {
    let path = Path::new(file);
    let beside = path.parent().unwrap_or(Path::new(""));
    let dir = if root || path.file_name().is_some_and(|n| n == "mod.rs") {
        beside.to_path_buf()
    } else {
        beside.join(path.file_stem().unwrap_or_default())
    };
    declared_modules(text)
        .into_iter()
        .filter(|module| {
            ![format!("{module}.rs"), format!("{module}/mod.rs")]
                .iter()
                .any(|candidate| {
                    files.contains(&dir.join(candidate).to_string_lossy().into_owned())
                })
        })
        .collect()
}

#[test]
fn modules_left_out_of_a_package_are_found() {
    let files: BTreeSet<String> = [
        "src/lib.rs",
        "src/client.rs",
        "src/client/pool.rs",
        "src/stray.rs",
        "tests/machine.rs",
    ]
    .map(str::to_owned)
    .into();
    let lib = "pub mod client;\nmod inline {}";
    assert!(missing_modules("src/lib.rs", true, lib, &files).is_empty());
    assert!(missing_modules("src/client.rs", false, "pub(crate) mod pool;", &files).is_empty());
    // A module of `client.rs` lives in `client/`, not beside it.
    assert_eq!(
        missing_modules("src/client.rs", false, "mod stray;", &files),
        ["stray"]
    );
    assert_eq!(
        missing_modules("src/lib.rs", true, "#[cfg(test)] mod tests;", &files),
        ["tests"]
    );
    // The ledger's kill_storm.rs was packaged while tests/common/mod.rs was not.
    assert_eq!(
        missing_modules(
            "tests/kill_storm.rs",
            true,
            "mod common;\nuse common::*;",
            &files
        ),
        ["common"]
    );
}

#[test]
fn no_packaged_target_uses_a_dev_dependency_its_package_drops() {
    for package in published_packages() {
        let name = package["name"].as_str().unwrap();
        let dir = Path::new(package["manifest_path"].as_str().unwrap())
            .parent()
            .unwrap();
        // A path-only dev-dependency (no version) is left out of the package.
        let dropped: Vec<String> = package["dependencies"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["kind"] == "dev" && d["path"].is_string() && d["req"] == "*")
            .map(|d| d["name"].as_str().unwrap().replace('-', "_"))
            .collect();
        for file in packaged(name)
            .iter()
            .filter(|f| f.ends_with(".rs") && !f.starts_with("src/"))
        {
            let text = std::fs::read_to_string(dir.join(file)).unwrap();
            let used: Vec<&String> = dropped
                .iter()
                .filter(|d| text.contains(d.as_str()))
                .collect();
            assert!(
                used.is_empty(),
                "{name}/{file} uses {used:?}, a path-only dev-dependency its package \
                 leaves out: move the test to a target the package excludes"
            );
        }
    }
}
