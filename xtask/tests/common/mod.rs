//! What the xtask's tests share: the workspace, and scratch copies of the
//! parts the commands read and write.
// Each test file uses its own subset.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use xtask::{GENERATED_DIR, SOURCES_DIR, SPEC};

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A scratch workspace: the spec, its sources, the generated code and the
/// READMEs whose lists are generated; what `--root` commands touch.
pub fn scratch() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let copy_dir = |from: &Path, to: &Path| {
        fs::create_dir_all(to).unwrap();
        for entry in fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    };
    copy_dir(
        &workspace().join(SOURCES_DIR),
        &dir.path().join(SOURCES_DIR),
    );
    copy_dir(
        &workspace().join(GENERATED_DIR),
        &dir.path().join(GENERATED_DIR),
    );
    fs::copy(workspace().join(SPEC), dir.path().join(SPEC)).unwrap();
    for doc in xtask::docs::DOCS {
        let to = dir.path().join(doc);
        fs::create_dir_all(to.parent().unwrap()).unwrap();
        fs::copy(workspace().join(doc), to).unwrap();
    }
    dir
}

/// The generated files of a scratch workspace, by name.
pub fn generated(dir: &Path) -> Vec<(String, String)> {
    let mut files: Vec<_> = fs::read_dir(dir.join(GENERATED_DIR))
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                fs::read_to_string(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

/// Runs the xtask binary on `root`: success, stdout, stderr.
pub fn xtask(root: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .arg("--root")
        .arg(root)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}
