//! Every test file is compiled. Each crate names its test targets
//! (`autotests = false`, a few binaries of many modules), so a file put
//! under `tests/` that no target's root declares would silently never
//! build or run.

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
            let count = compiled.iter().filter(|f| **f == file).count();
            assert!(
                count > 0,
                "{} is neither a [[test]] target nor a module of one: declare it \
                 (`mod name;`) in a target's root, such as tests/integration.rs",
                file.display()
            );
            // A helper module (`common`) may serve several roots; tests may not.
            let text = std::fs::read_to_string(&file).unwrap();
            assert!(
                count == 1 || !(text.contains("#[test]") || text.contains("::test")),
                "{} is compiled into {count} test targets: its tests run {count} times",
                file.display()
            );
            checked += 1;
        }
    }
    assert!(checked > 40, "only {checked} test files found");
}

/// The roots and the files their `mod name;` lines name (beside the
/// root), once per root that names them.
fn compiled_files(tests: &Path, roots: &[PathBuf]) -> Vec<PathBuf> {
    let mut compiled = Vec::new();
    for root in roots {
        let text = std::fs::read_to_string(root).unwrap();
        for module in declared_modules(&text) {
            let file = tests.join(format!("{module}.rs"));
            let folder = tests.join(&module).join("mod.rs");
            compiled.push(if folder.is_file() { folder } else { file });
        }
        compiled.push(root.clone());
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
