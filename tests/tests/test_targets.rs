//! Every test file is compiled. Each crate names its test targets
//! (`autotests = false`, a few binaries of many modules), so a file put
//! under `tests/` that no target's root declares would silently never
//! build or run.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use segmind_ideogram_tests::{declared_modules, workspace_metadata};

#[test]
fn every_file_under_tests_is_a_test_target_or_one_of_its_modules() {
    let metadata = workspace_metadata();
    let mut checked = 0;
    for package in metadata["packages"].as_array().unwrap() {
        let manifest = Path::new(package["manifest_path"].as_str().unwrap());
        let tests = manifest.parent().unwrap().join("tests");
        if !tests.is_dir() {
            continue;
        }
        let roots: Vec<PathBuf> = package["targets"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["kind"].as_array().unwrap().iter().any(|k| k == "test"))
            .map(|t| PathBuf::from(t["src_path"].as_str().unwrap()))
            .collect();
        let compiled = compiled_files(&tests, &roots);
        for file in test_sources(&tests) {
            assert!(
                compiled.contains(&file),
                "{} is neither a [[test]] target nor a module of one: declare it \
                 (`mod name;`) in a target's root, such as tests/integration.rs",
                file.display()
            );
            checked += 1;
        }
    }
    assert!(checked > 40, "only {checked} test files found");
}

/// The roots and the files their `mod name;` lines name (beside the root).
fn compiled_files(tests: &Path, roots: &[PathBuf]) -> BTreeSet<PathBuf> {
    let mut compiled = BTreeSet::new();
    for root in roots {
        let text = std::fs::read_to_string(root).unwrap();
        for module in declared_modules(&text) {
            compiled.insert(tests.join(format!("{module}.rs")));
            compiled.insert(tests.join(&module).join("mod.rs"));
        }
        compiled.insert(root.clone());
    }
    compiled
}

/// The Rust files directly under `tests/` and each folder's `mod.rs` (a
/// folder without one holds fixtures or snapshots).
fn test_sources(tests: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(tests).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            let module = path.join("mod.rs");
            if module.is_file() {
                files.push(module);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}
