//! `cargo xtask changes [--since REV]`: what the spec changes since a git
//! revision mean for the crate's users, with a semver verdict and a
//! CHANGELOG entry.
//!
//! Both specs go through the generator's parser, and the comparison
//! ([`diff`]) is made on its model, so it sees exactly what the generated
//! code would: names, `new`'s parameters, newtype bounds, enum variants.

pub mod diff;

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

pub use diff::{Change, Class};

use crate::{Error, SPEC};

/// Compares two spec texts.
pub fn compare(old_spec: &str, new_spec: &str) -> Result<Vec<Change>, Error> {
    let parse = |text: &str, which: &str| {
        segmind_ideogram_codegen::parse(text)
            .map_err(|e| Error::Invalid(format!("the {which} spec: {e}")))
    };
    Ok(diff::diff(
        &parse(old_spec, "old")?,
        &parse(new_spec, "new")?,
    ))
}

/// Compares the spec at `since` (default: the last tag, else `HEAD`) with
/// the working tree's, and renders the report.
pub fn run(root: &Path, since: Option<&str>) -> Result<String, Error> {
    let rev = match since {
        Some(rev) => rev.to_owned(),
        None => git(root, &["describe", "--tags", "--abbrev=0"]).unwrap_or_else(|_| "HEAD".into()),
    };
    let commit = git(
        root,
        &["rev-parse", "--short", &format!("{rev}^{{commit}}")],
    )?;
    let old = git(root, &["show", &format!("{rev}:{SPEC}")])?;
    let new = crate::read(&root.join(SPEC))?;
    let changes = compare(&old, &new)?;
    let version = workspace_version(&crate::read(&root.join("Cargo.toml"))?);
    Ok(render(
        &changes,
        &format!("{rev} ({commit})"),
        version.as_deref(),
    ))
}

fn git(root: &Path, args: &[&str]) -> Result<String, Error> {
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .output()
        .map_err(|e| Error::Git(format!("cannot run git: {e}")))?;
    if !out.status.success() {
        return Err(Error::Git(format!(
            "`git {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    // The spec is UTF-8 JSON; anything else fails to parse with a clear error.
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(if args[0] == "show" {
        text.into_owned()
    } else {
        text.trim().to_owned()
    })
}

/// `version = "..."` of `[workspace.package]` in the root manifest.
fn workspace_version(manifest: &str) -> Option<String> {
    let mut in_package = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_package = line == "[workspace.package]";
        } else if in_package && let Some(rest) = line.strip_prefix("version") {
            return Some(
                rest.trim_start()
                    .strip_prefix('=')?
                    .trim()
                    .trim_matches('"')
                    .to_owned(),
            );
        }
    }
    None
}

/// The release a change of `class` calls for, by Cargo's rules (before
/// 1.0 a breaking change bumps the minor number, anything else the patch).
pub fn next_version(current: &str, class: Class) -> Option<String> {
    let mut parts = current
        .split(['.', '-', '+'])
        .take(3)
        .map(|p| p.parse::<u64>().ok());
    let (major, minor, patch) = (parts.next()??, parts.next()??, parts.next()??);
    Some(match (major, class) {
        (0, Class::Major) => format!("0.{}.0", minor + 1),
        (0, _) => format!("0.{minor}.{}", patch + 1),
        (_, Class::Major) => format!("{}.0.0", major + 1),
        (_, Class::Minor) => format!("{major}.{}.0", minor + 1),
        (_, Class::Patch) => format!("{major}.{minor}.{}", patch + 1),
    })
}

/// The overall class: the most severe change's, or `None` for no change.
pub fn verdict(changes: &[Change]) -> Option<Class> {
    changes.iter().map(|c| c.class).max()
}

/// The report: every change with its class and reason, the verdict, and a
/// CHANGELOG entry.
pub fn render(changes: &[Change], since: &str, version: Option<&str>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Spec changes since {since}, as the generated crate sees them:\n"
    );
    let Some(overall) = verdict(changes) else {
        let _ = writeln!(
            out,
            "No change a user of the crate would see.\n\nVerdict: none."
        );
        return out;
    };
    for c in changes {
        let _ = writeln!(
            out,
            "{:<6} {}: {}\n       {}",
            c.class.as_str(),
            c.item,
            c.what,
            c.reason
        );
    }
    let count = |class| changes.iter().filter(|c| c.class == class).count();
    let _ = write!(
        out,
        "\nVerdict: {} ({} major, {} minor, {} patch)",
        overall.as_str(),
        count(Class::Major),
        count(Class::Minor),
        count(Class::Patch)
    );
    match version.and_then(|v| Some((v, next_version(v, overall)?))) {
        Some((current, next)) => {
            let _ = writeln!(out, ": release {next} (the crate is at {current}).");
        }
        None => out.push_str(".\n"),
    }
    let _ = writeln!(out, "\nCHANGELOG entry:\n\n{}", changelog(changes));
    out
}

/// A Keep-a-Changelog section, breaking changes first.
pub fn changelog(changes: &[Change]) -> String {
    let mut out = String::from("## [Unreleased]\n");
    for (class, heading) in [
        (Class::Major, "Breaking changes"),
        (Class::Minor, "Added"),
        (Class::Patch, "Changed"),
    ] {
        let lines: Vec<String> = changes
            .iter()
            .filter(|c| c.class == class)
            .map(|c| match c.item.strip_prefix("endpoint ") {
                Some(slug) => format!("- Endpoint `{slug}`: {}.", c.what),
                None => format!("- `{}`: {}.", c.item, c.what),
            })
            .collect();
        if !lines.is_empty() {
            let _ = write!(out, "\n### {heading}\n\n{}\n", lines.join("\n"));
        }
    }
    out
}
