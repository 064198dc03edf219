//! `cargo xtask codegen [--check]`: regenerates `client/src/generated/` from
//! the spec, or checks that the checked-in files are fresh.

use std::fs;
use std::io;
use std::path::Path;

use crate::{Error, GENERATED_DIR, SPEC};

/// Write the files, or only compare them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Write,
    Check,
}

/// Regenerates (or checks) every generated file under `root`, and the
/// READMEs' generated lists ([`crate::docs`]).
///
/// Everything is generated in memory first, so a spec error changes nothing
/// on disk; files are then replaced atomically (write to a temporary file,
/// rename), and only when their contents differ.
pub fn codegen(root: &Path, mode: Mode) -> Result<String, Error> {
    let spec_path = root.join(SPEC);
    let spec = crate::read(&spec_path)?;
    let files = segmind_ideogram_codegen::generate(&spec).map_err(Error::Spec)?;
    let api = segmind_ideogram_codegen::parse(&spec).map_err(Error::Spec)?;
    // The READMEs' generated lists, computed before anything is written.
    let mut docs = Vec::new();
    for doc in crate::docs::DOCS {
        let path = root.join(doc);
        let Ok(current) = fs::read_to_string(&path) else {
            continue;
        };
        let fresh = crate::docs::rewrite(&current, &api)
            .map_err(|e| Error::Invalid(format!("{doc}: {e}")))?;
        if fresh != current {
            docs.push((*doc, path, current, fresh));
        }
    }
    let dir = root.join(GENERATED_DIR);
    let mut stale = String::new();
    let mut written = Vec::new();
    for file in &files {
        let path = dir.join(file.name);
        let current = fs::read_to_string(&path).ok();
        if current.as_deref() == Some(file.contents.as_str()) {
            continue;
        }
        match mode {
            Mode::Check => stale.push_str(&short_diff(
                &format!("{GENERATED_DIR}/{}", file.name),
                current.as_deref().unwrap_or(""),
                &file.contents,
            )),
            Mode::Write => {
                write_atomically(&path, &file.contents)?;
                written.push(file.name);
            }
        }
    }
    for (doc, path, current, fresh) in &docs {
        match mode {
            Mode::Check => stale.push_str(&short_diff(doc, current, fresh)),
            Mode::Write => {
                fs::write(path, fresh).map_err(|e| Error::Io(path.clone(), e))?;
                written.push(doc);
            }
        }
    }
    let expected: Vec<&str> = files.iter().map(|f| f.name).collect();
    let extra = extra_files(&dir, &expected)?;
    match mode {
        Mode::Check if !stale.is_empty() || !extra.is_empty() => {
            for name in &extra {
                stale.push_str(&format!(
                    "{GENERATED_DIR}/{name}: not produced by the generator\n"
                ));
            }
            Err(Error::Stale(stale))
        }
        Mode::Check => Ok(format!("{} generated files are up to date", files.len())),
        Mode::Write => {
            for name in &extra {
                let path = dir.join(name);
                fs::remove_file(&path).map_err(|e| Error::Io(path, e))?;
            }
            Ok(if written.is_empty() && extra.is_empty() {
                format!("{} generated files already up to date", files.len())
            } else {
                format!("wrote {}; removed {}", list(&written), list(&extra))
            })
        }
    }
}

fn list<S: AsRef<str>>(names: &[S]) -> String {
    if names.is_empty() {
        "nothing".to_owned()
    } else {
        names
            .iter()
            .map(AsRef::as_ref)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// `.rs` files in the generated folder that the generator no longer produces.
fn extra_files(dir: &Path, expected: &[&str]) -> Result<Vec<String>, Error> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::Io(dir.to_owned(), e)),
    };
    let mut extra = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::Io(dir.to_owned(), e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".rs") && !expected.contains(&name.as_str()) {
            extra.push(name);
        }
    }
    extra.sort();
    Ok(extra)
}

fn write_atomically(path: &Path, contents: &str) -> Result<(), Error> {
    let dir = path.parent().expect("generated files live in a folder");
    fs::create_dir_all(dir).map_err(|e| Error::Io(dir.to_owned(), e))?;
    let tmp = path.with_extension("rs.tmp");
    fs::write(&tmp, contents).map_err(|e| Error::Io(tmp.clone(), e))?;
    fs::rename(&tmp, path).map_err(|e| Error::Io(path.to_owned(), e))
}

/// A unified diff cut to a screenful.
fn short_diff(name: &str, old: &str, new: &str) -> String {
    const MAX_LINES: usize = 40;
    let diff = similar::TextDiff::from_lines(old, new);
    let text = diff
        .unified_diff()
        .context_radius(2)
        .header(
            &format!("{name} (checked in)"),
            &format!("{name} (generated)"),
        )
        .to_string();
    let total = text.lines().count();
    let mut out: String = text
        .lines()
        .take(MAX_LINES)
        .map(|l| format!("{l}\n"))
        .collect();
    if total > MAX_LINES {
        out.push_str(&format!("... ({} more diff lines)\n", total - MAX_LINES));
    }
    out
}
