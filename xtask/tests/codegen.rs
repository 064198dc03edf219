//! `cargo xtask codegen [--check]` on the real workspace and on scratch
//! copies: drift is caught, a bad spec changes nothing, writing is idempotent.

use crate::common;

use std::fs;
use std::path::Path;

use common::{generated, scratch, workspace};
use xtask::{GENERATED_DIR, Mode, SPEC, codegen};

fn snapshot(dir: &Path) -> Vec<(String, String)> {
    generated(dir)
}

#[test]
fn checked_in_generated_code_is_fresh() {
    // The same check CI runs as `cargo xtask codegen --check`, so `cargo test` catches drift.
    if let Err(e) = codegen(&workspace(), Mode::Check) {
        panic!("{e}");
    }
}

#[test]
fn check_reports_a_short_diff_and_the_fix() {
    let dir = scratch();
    let path = dir.path().join(GENERATED_DIR).join("enums.rs");
    let edited = fs::read_to_string(&path)
        .unwrap()
        .replace("Resolution1024_1024", "Resolution1024x1024");
    fs::write(&path, edited).unwrap();
    fs::write(
        dir.path().join(GENERATED_DIR).join("stray.rs"),
        "// left over\n",
    )
    .unwrap();
    let message = codegen(dir.path(), Mode::Check).unwrap_err().to_string();
    assert!(message.contains("run `cargo xtask codegen`"), "{message}");
    assert!(message.contains("enums.rs (checked in)"), "{message}");
    assert!(message.contains("-    Resolution1024x1024,"), "{message}");
    assert!(
        message.contains("stray.rs: not produced by the generator"),
        "{message}"
    );
    assert!(
        message.lines().count() < 120,
        "diff should be short:\n{message}"
    );
}

#[test]
fn writing_twice_changes_nothing_and_restores_edits() {
    let dir = scratch();
    let before = snapshot(dir.path());
    let path = dir.path().join(GENERATED_DIR).join("scalars.rs");
    fs::write(&path, "// hand edit\n").unwrap();
    fs::write(
        dir.path().join(GENERATED_DIR).join("stray.rs"),
        "// left over\n",
    )
    .unwrap();
    let report = codegen(dir.path(), Mode::Write).unwrap();
    assert!(
        report.contains("scalars.rs") && report.contains("removed stray.rs"),
        "{report}"
    );
    assert_eq!(snapshot(dir.path()), before);
    let report = codegen(dir.path(), Mode::Write).unwrap();
    assert!(report.contains("already up to date"), "{report}");
    assert_eq!(snapshot(dir.path()), before);
    assert!(codegen(dir.path(), Mode::Check).is_ok());
}

#[test]
fn a_malformed_spec_is_located_and_leaves_generated_files_untouched() {
    for (bad, pointer) in [
        (
            (
                "\"#/components/schemas/Seed\"",
                "\"#/components/schemas/Sead\"",
            ),
            "/properties/seed/$ref",
        ),
        (("\"type\": \"array\"", "\"type\": \"list\""), "/type"),
        (
            ("\"TURBO\",", "\"TURBO\", \"turbo\","),
            "/components/schemas/RenderingSpeed/enum/1",
        ),
    ] {
        let dir = scratch();
        // Make the files differ from what a good spec would give, so a
        // partial write would be visible.
        let marker = dir.path().join(GENERATED_DIR).join("mod.rs");
        fs::write(&marker, "// stale on purpose\n").unwrap();
        let before = snapshot(dir.path());
        let spec_path = dir.path().join(SPEC);
        let spec = fs::read_to_string(&spec_path).unwrap();
        assert!(spec.contains(bad.0));
        fs::write(&spec_path, spec.replacen(bad.0, bad.1, 1)).unwrap();
        let message = codegen(dir.path(), Mode::Write).unwrap_err().to_string();
        assert!(message.contains("spec error at /"), "{message}");
        assert!(message.contains(pointer), "{pointer} not in: {message}");
        assert!(
            message.contains("no generated file was changed"),
            "{message}"
        );
        assert_eq!(
            snapshot(dir.path()),
            before,
            "files changed after {message}"
        );
    }
}
