//! `cargo xtask sources [--check]`: the spec against the pages it is
//! written from.
//!
//! Every `spec/sources/<slug>.txt` is one Segmind page ([`page`]); every
//! `spec/sources/*.json` is a reference list of values the pages truncate.
//! Each fact a page states is compared with the spec ([`compare`]); a
//! disagreement the spec explains in an `x-source-deviations` record
//! ([`deviations`]) is a deviation, any other is a problem. A spec endpoint
//! without a page is listed as unchecked.

pub mod compare;
pub mod deviations;
pub mod fix;
pub mod fragment;
pub mod import;
pub mod page;
pub mod wild;

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::{Error, SOURCES_DIR, SPEC};
use compare::{Fact, ReferenceList, Spec};
use deviations::Deviation;
use fix::Fix;
use page::{Layout, Page};

/// How one fact came out.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Agrees,
    /// The spec departs from the page on purpose, for this reason.
    Deviation(String),
    /// Unexplained. When a deviation is recorded for the same fact but for
    /// other page text, that text: the page changed since.
    Disagrees(Option<String>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub fact: Fact,
    pub outcome: Outcome,
}

/// A page file and what it was read as.
#[derive(Debug, Clone, PartialEq)]
pub struct PageInfo {
    pub file: String,
    pub slug: String,
    pub layout: Layout,
}

/// The whole comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub pages: Vec<PageInfo>,
    pub checked: Vec<Checked>,
    /// Deviations that cover nothing any more: the page now agrees, or no
    /// longer states the fact.
    pub stale: Vec<(Deviation, Option<Fact>)>,
    /// Spec endpoints without a page.
    pub unchecked: Vec<String>,
    /// The facts of `api-facts.md`'s last section, and how the spec takes
    /// them in ([`wild`]); empty when only pages were compared.
    pub wild: wild::WildReport,
}

/// The spec and its sources under a workspace root, as text.
pub struct Sources {
    pub spec: String,
    /// (file name, text) of every `spec/sources/*.txt`, by name.
    pub pages: Vec<(String, String)>,
    pub lists: Vec<ReferenceList>,
    /// `api-facts.md`, whose last section [`wild`] checks.
    pub facts: String,
}

impl Sources {
    /// Reads the spec and `spec/sources/` under `root`.
    pub fn load(root: &Path) -> Result<Self, Error> {
        let spec = crate::read(&root.join(SPEC))?;
        let dir = root.join(SOURCES_DIR);
        let mut entries: Vec<_> = fs::read_dir(&dir)
            .map_err(|e| Error::Io(dir.clone(), e))?
            .collect::<Result<_, _>>()
            .map_err(|e| Error::Io(dir.clone(), e))?;
        entries.sort_by_key(|e| e.file_name());
        let mut pages = Vec::new();
        let mut lists = Vec::new();
        for entry in entries {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".txt") {
                // Captured pages may hold odd bytes; they must not stop the check.
                let bytes = fs::read(&path).map_err(|e| Error::Io(path.clone(), e))?;
                pages.push((name, String::from_utf8_lossy(&bytes).into_owned()));
            } else if name.ends_with(".json") {
                let values =
                    serde_json::from_str::<Vec<String>>(&crate::read(&path)?).map_err(|e| {
                        Error::Invalid(format!(
                            "{SOURCES_DIR}/{name}: not a JSON array of strings: {e}"
                        ))
                    })?;
                lists.push(ReferenceList { file: name, values });
            }
        }
        let facts = crate::read(&dir.join(wild::FILE))?;
        Ok(Self {
            spec,
            pages,
            lists,
            facts,
        })
    }

    /// The pages and reference lists against the spec, and the facts seen
    /// in the wild ([`wild`]).
    pub fn compare(&self) -> Result<Report, Error> {
        let mut report = compare_sources(&self.spec, &self.pages, &self.lists)?;
        let raw: Value = serde_json::from_str(&self.spec)
            .map_err(|e| Error::Invalid(format!("{SPEC}: not JSON: {e}")))?;
        report.wild = wild::check(&raw, &self.facts);
        Ok(report)
    }

    /// The report, and the fix of each problem that has one.
    pub fn compare_with_fixes(&self) -> Result<(Report, Vec<Fix>), Error> {
        let report = self.compare()?;
        let spec: Value = serde_json::from_str(&self.spec)
            .map_err(|e| Error::Invalid(format!("{SPEC}: not JSON: {e}")))?;
        let pages: Vec<(String, Page)> = self
            .pages
            .iter()
            .map(|(file, text)| (file.trim_end_matches(".txt").to_owned(), page::parse(text)))
            .collect();
        let fixes = fix::fixes(&spec, &pages, &self.lists, &report);
        Ok((report, fixes))
    }
}

/// Reads the spec and `spec/sources/` under `root` and compares them.
pub fn check(root: &Path) -> Result<Report, Error> {
    Sources::load(root)?.compare()
}

/// `--check`: one line per problem, each followed by the spec fragment
/// that answers it when there is one, then the summary; and whether there
/// was no problem.
pub fn check_text(root: &Path) -> Result<(String, bool), Error> {
    let (report, fixes) = Sources::load(root)?.compare_with_fixes()?;
    let mut out = String::new();
    for (endpoint, field, line) in report.problem_lines() {
        out.push_str(&line);
        out.push('\n');
        if let Some(fix) = fixes
            .iter()
            .find(|f| f.endpoint == endpoint && f.field == field)
        {
            out.push_str(&format!(
                "  add to {SPEC} (`cargo xtask sources --fix` writes it):\n"
            ));
            out.push_str(&fix.render());
        }
    }
    out.push_str(&report.summary());
    Ok((out, report.problems().is_empty()))
}

/// `--fix`: writes the fix of every problem that has one into the spec,
/// then checks again. The text says what was written, what to check, and
/// what is left; the flag whether nothing is left.
pub fn fix_spec(root: &Path) -> Result<(String, bool), Error> {
    let sources = Sources::load(root)?;
    let (_, fixes) = sources.compare_with_fixes()?;
    let mut out = String::new();
    if fixes.is_empty() {
        out.push_str("nothing to fix\n");
    } else {
        let mut spec: Value = serde_json::from_str(&sources.spec)
            .map_err(|e| Error::Invalid(format!("{SPEC}: not JSON: {e}")))?;
        fix::apply(&mut spec, &fixes)?;
        let path = root.join(SPEC);
        fs::write(&path, fix::to_text(&spec)).map_err(|e| Error::Io(path, e))?;
        for f in &fixes {
            out.push_str(&format!("fixed {}, {}\n", f.endpoint, f.field));
            for note in &f.notes {
                out.push_str(&format!("  check: {note}\n"));
            }
        }
        out.push_str(&format!(
            "wrote {} fix(es) to {SPEC}; now `cargo xtask codegen`\n",
            fixes.len()
        ));
    }
    let (left, clean) = check_text(root)?;
    out.push_str(&left);
    Ok((out, clean))
}

/// The comparison itself, on texts in memory: `pages` are (file name, text).
pub fn compare_sources(
    spec_text: &str,
    pages: &[(String, String)],
    lists: &[ReferenceList],
) -> Result<Report, Error> {
    let api =
        segmind_ideogram_codegen::parse(spec_text).map_err(|e| Error::Invalid(e.to_string()))?;
    let raw: Value = serde_json::from_str(spec_text)
        .map_err(|e| Error::Invalid(format!("{SPEC}: not JSON: {e}")))?;
    let recorded = deviations::read(&raw, &api)?;
    let empty = serde_json::Map::new();
    let spec = Spec {
        api: &api,
        server: raw
            .pointer("/servers/0/url")
            .and_then(Value::as_str)
            .unwrap_or("")
            .trim_end_matches('/'),
        paths: raw
            .get("paths")
            .and_then(Value::as_object)
            .unwrap_or(&empty),
    };

    let mut report = Report {
        pages: Vec::new(),
        checked: Vec::new(),
        stale: Vec::new(),
        unchecked: Vec::new(),
        wild: wild::WildReport::default(),
    };
    let mut facts = Vec::new();
    for (file, text) in pages {
        let slug = file.trim_end_matches(".txt");
        let page = page::parse(text);
        report.pages.push(PageInfo {
            file: file.clone(),
            slug: slug.to_owned(),
            layout: page.layout,
        });
        facts.extend(compare::page_facts(slug, &page, &spec, lists));
        if let Some((url, named)) = &page.url
            && named != slug
        {
            facts.push(Fact {
                endpoint: slug.to_owned(),
                field: "file".into(),
                page: format!("{url} (its page is named {file})"),
                spec: format!("pages are named by their slug: {named}.txt"),
                agrees: false,
            });
        }
    }
    let checked_slugs: Vec<&str> = report.pages.iter().map(|p| p.slug.as_str()).collect();
    report.unchecked = api
        .endpoints
        .iter()
        .filter(|e| !checked_slugs.contains(&e.slug.as_str()))
        .map(|e| e.slug.clone())
        .collect();

    let mut used = vec![false; recorded.len()];
    for fact in facts {
        let same_fact = |d: &Deviation| d.endpoint == fact.endpoint && d.field == fact.field;
        let outcome = if fact.agrees {
            Outcome::Agrees
        } else if let Some(i) = recorded
            .iter()
            .position(|d| same_fact(d) && d.page == fact.page)
        {
            used[i] = true;
            Outcome::Deviation(recorded[i].reason.clone())
        } else if let Some(i) = recorded.iter().position(same_fact) {
            used[i] = true;
            Outcome::Disagrees(Some(recorded[i].page.clone()))
        } else {
            Outcome::Disagrees(None)
        };
        report.checked.push(Checked { fact, outcome });
    }
    for (deviation, used) in recorded.into_iter().zip(used) {
        // A missing page leaves its endpoint unchecked, not its deviations stale.
        if used || !checked_slugs.contains(&deviation.endpoint.as_str()) {
            continue;
        }
        let now = report
            .checked
            .iter()
            .find(|c| c.fact.endpoint == deviation.endpoint && c.fact.field == deviation.field)
            .map(|c| c.fact.clone());
        report.stale.push((deviation, now));
    }
    Ok(report)
}

impl Report {
    /// One line per unexplained disagreement and per stale deviation:
    /// `endpoint, field, page: ..., spec: ...`.
    pub fn problems(&self) -> Vec<String> {
        self.problem_lines()
            .into_iter()
            .map(|(_, _, line)| line)
            .collect()
    }

    /// [`problems`](Self::problems), each with its endpoint and fact.
    pub fn problem_lines(&self) -> Vec<(&str, &str, String)> {
        let mut lines: Vec<(&str, &str, String)> = self
            .checked
            .iter()
            .filter_map(|c| {
                let text = match &c.outcome {
                    Outcome::Disagrees(None) => line(&c.fact, &c.fact.spec),
                    Outcome::Disagrees(Some(old)) => line(
                        &c.fact,
                        &format!("{} (deviation recorded for page: {old})", c.fact.spec),
                    ),
                    _ => return None,
                };
                Some((c.fact.endpoint.as_str(), c.fact.field.as_str(), text))
            })
            .collect();
        for (deviation, now) in &self.stale {
            let page = now
                .as_ref()
                .map_or("does not state it", |f| f.page.as_str());
            let spec = now.as_ref().map_or("", |f| f.spec.as_str());
            lines.push((
                deviation.endpoint.as_str(),
                deviation.field.as_str(),
                format!(
                    "{}, {}, page: {page}, spec: {spec}{}stale deviation (recorded for page: {}): remove it",
                    deviation.endpoint,
                    deviation.field,
                    if spec.is_empty() { "" } else { "; " },
                    deviation.page
                ),
            ));
        }
        lines.extend(self.wild.problems.iter().map(|p| ("", "", p.clone())));
        lines
    }

    pub fn count(&self, wanted: fn(&Outcome) -> bool) -> usize {
        self.checked.iter().filter(|c| wanted(&c.outcome)).count()
    }

    pub fn summary(&self) -> String {
        let agree = self.count(|o| matches!(o, Outcome::Agrees));
        let deviations = self.count(|o| matches!(o, Outcome::Deviation(_)));
        let problems = self.problems().len();
        format!(
            "{} pages, {} facts checked: {agree} agree, {deviations} recorded deviations; {} facts seen in the wild, {} citations; {problems} problems; unchecked endpoints (no page): {}",
            self.pages.len(),
            self.checked.len(),
            self.wild.facts.len(),
            self.wild
                .facts
                .iter()
                .map(|(_, by)| by.len())
                .sum::<usize>(),
            if self.unchecked.is_empty() {
                "none".to_owned()
            } else {
                self.unchecked.join(", ")
            }
        )
    }

    /// Every fact, page by page, then the problems and the summary.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for page in &self.pages {
            let _ = writeln!(
                out,
                "== {} ({SOURCES_DIR}/{}, {})",
                page.slug,
                page.file,
                page.layout.as_str()
            );
            for c in self.checked.iter().filter(|c| c.fact.endpoint == page.slug) {
                let f = &c.fact;
                let _ = match &c.outcome {
                    Outcome::Agrees => writeln!(out, "  ok         {}: {}", f.field, f.page),
                    Outcome::Deviation(reason) => writeln!(
                        out,
                        "  deviation  {}: page: {}, spec: {}\n             why: {reason}",
                        f.field, f.page, f.spec
                    ),
                    Outcome::Disagrees(_) => writeln!(
                        out,
                        "  DISAGREES  {}: page: {}, spec: {}",
                        f.field, f.page, f.spec
                    ),
                };
            }
        }
        for slug in &self.unchecked {
            let _ = writeln!(out, "== {slug}: unchecked, no page in {SOURCES_DIR}/");
        }
        if !self.wild.facts.is_empty() {
            let _ = writeln!(
                out,
                "== {SOURCES_DIR}/{}: \"{}\"",
                wild::FILE,
                wild::SECTION
            );
            for (fact, by) in &self.wild.facts {
                let _ = writeln!(out, "  {:<10} {}", by.len(), fact.title);
                for pointer in by {
                    let _ = writeln!(out, "             {pointer}");
                }
            }
        }
        let problems = self.problems();
        if !problems.is_empty() {
            let _ = writeln!(out, "\nproblems:");
            for line in problems {
                let _ = writeln!(out, "{line}");
            }
        }
        let _ = writeln!(out, "\n{}", self.summary());
        out
    }
}

fn line(fact: &Fact, spec: &str) -> String {
    format!(
        "{}, {}, page: {}, spec: {spec}",
        fact.endpoint, fact.field, fact.page
    )
}
