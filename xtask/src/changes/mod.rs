//! `cargo xtask changes [--since REV]`: what the spec changes since the
//! last release (or a git revision) mean for the crate's users, with a
//! semver verdict, the changes that alter what a call returns or costs, and
//! a CHANGELOG entry.
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

/// Compares the spec at `since` (default: the last release, see
/// [`last_release`]) with the working tree's, and renders the report.
pub fn run(root: &Path, since: Option<&str>) -> Result<String, Error> {
    let (rev, why) = match since {
        Some(rev) => (rev.to_owned(), None),
        None => match last_release(root)? {
            Some((rev, why)) => (rev, Some(why)),
            None => return nothing_released(root),
        },
    };
    let commit = git(
        root,
        &["rev-parse", "--short", &format!("{rev}^{{commit}}")],
    )?;
    let old = git(root, &["show", &format!("{rev}:{SPEC}")])?;
    let new = crate::read(&root.join(SPEC))?;
    let changes = compare(&old, &new)?;
    let version = workspace_version(&crate::read(&root.join("Cargo.toml"))?);
    let since = match why {
        Some(why) => format!("{rev} ({commit}), {why}"),
        None => format!("{rev} ({commit})"),
    };
    Ok(render(&changes, &since, version.as_deref()))
}

/// The revision of the last release and how it was found: the last tag,
/// else the commit that recorded the newest version in `CHANGELOG.md`
/// (`## [0.2.0] - ...`); `None` when nothing is released.
pub fn last_release(root: &Path) -> Result<Option<(String, String)>, Error> {
    if let Ok(tag) = git(root, &["describe", "--tags", "--abbrev=0"]) {
        return Ok(Some((tag, "the last release (its tag)".into())));
    }
    let changelog = std::fs::read_to_string(root.join(CHANGELOG)).unwrap_or_default();
    let Some((heading, version)) = released_version(&changelog) else {
        return Ok(None);
    };
    let commits = git(
        root,
        &["log", "--format=%H", "-S", heading, "--", CHANGELOG],
    )?;
    Ok(commits.lines().last().map(|first| {
        (
            first.to_owned(),
            format!("the last release, {version}, recorded in {CHANGELOG} (no tag)"),
        )
    }))
}

/// The report when nothing is released: the first release holds the whole
/// spec, so there is no difference to classify.
fn nothing_released(root: &Path) -> Result<String, Error> {
    let api = segmind_ideogram_codegen::parse(&crate::read(&root.join(SPEC))?)
        .map_err(|e| Error::Invalid(format!("the spec: {e}")))?;
    let version = workspace_version(&crate::read(&root.join("Cargo.toml"))?)
        .unwrap_or_else(|| "the first version".into());
    Ok(format!(
        "Nothing is released yet (no tag, and no released version in {CHANGELOG}): the first release, {version}, holds the whole spec ({} endpoints, {} types), so there is no change to classify.\nTo see what a change since some revision means, pass --since REV (HEAD~1, say).\n",
        api.endpoints.len(),
        api.enums.len() + api.scalars.len() + api.structs.len() + api.unions.len()
    ))
}

const CHANGELOG: &str = "CHANGELOG.md";

/// The newest released version's heading line and version in a
/// Keep-a-Changelog text (`## [0.2.0] - 2026-12-01`; `Unreleased` is not one).
fn released_version(changelog: &str) -> Option<(&str, &str)> {
    changelog.lines().find_map(|line| {
        let rest = line.strip_prefix("## ")?;
        let version = rest
            .trim_start_matches('[')
            .split([']', ' '])
            .next()?
            .trim_start_matches('v');
        let numeric = version.split('.').count() == 3
            && version
                .split('.')
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        numeric.then_some((line, version))
    })
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
        if let Some(why) = &c.attention {
            let _ = writeln!(out, "       REVIEW: changes {why}");
        }
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
    let flagged: Vec<&Change> = changes.iter().filter(|c| c.attention.is_some()).collect();
    if !flagged.is_empty() {
        let _ = writeln!(
            out,
            "\nReview before releasing: {} change(s) alter what a call returns or costs, whatever their class; check that the client, the mock and the batch budget still hold:",
            flagged.len()
        );
        for c in flagged {
            let why = c.attention.as_deref().unwrap_or_default();
            let _ = writeln!(out, "- {}: {} (changes {why})", c.item, c.what);
        }
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
            .map(|c| {
                let effect = c
                    .attention
                    .as_ref()
                    .map(|why| format!(" (changes {why})"))
                    .unwrap_or_default();
                match c.item.strip_prefix("endpoint ") {
                    Some(slug) => format!("- Endpoint `{slug}`: {}{effect}.", c.what),
                    None => format!("- `{}`: {}{effect}.", c.item, c.what),
                }
            })
            .collect();
        if !lines.is_empty() {
            let _ = write!(out, "\n### {heading}\n\n{}\n", lines.join("\n"));
        }
    }
    out
}
