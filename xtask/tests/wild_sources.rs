//! `cargo xtask sources --check` covers the last section of
//! `spec/sources/api-facts.md` ("How Segmind is seen to answer in the
//! wild"): a fact the spec does not take in, a record whose quote no longer
//! stands, and a spec that drops what a fact made it encode are each a
//! problem with its own line.

use std::fs;
use std::path::{Path, PathBuf};

use xtask::sources::{self, wild};
use xtask::{SOURCES_DIR, SPEC};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The problems of the check on a copy of the workspace's spec and
/// sources, with `spec_edit` and `facts_edit` (old, new: every occurrence) applied.
fn check_with(spec_edit: Option<(&str, &str)>, facts_edit: Option<(&str, &str)>) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let sources_dir = dir.path().join(SOURCES_DIR);
    fs::create_dir_all(&sources_dir).unwrap();
    for entry in fs::read_dir(workspace().join(SOURCES_DIR)).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), sources_dir.join(entry.file_name())).unwrap();
    }
    let edit = |path: PathBuf, change: Option<(&str, &str)>| {
        let text = fs::read_to_string(&path).unwrap();
        let text = match change {
            Some((old, new)) => {
                assert!(text.contains(old), "{} lacks {old:?}", path.display());
                text.replace(old, new)
            }
            None => text,
        };
        fs::write(path, text).unwrap();
    };
    fs::create_dir_all(dir.path().join(SPEC).parent().unwrap()).unwrap();
    fs::copy(workspace().join(SPEC), dir.path().join(SPEC)).unwrap();
    edit(dir.path().join(SPEC), spec_edit);
    edit(sources_dir.join(wild::FILE), facts_edit);
    sources::check(dir.path()).unwrap().problems()
}

#[test]
fn the_real_facts_are_all_taken_in() {
    let report = sources::check(&workspace()).unwrap();
    assert!(report.wild.facts.len() >= 17, "{:?}", report.wild.facts);
    assert!(report.wild.facts.iter().all(|(_, by)| !by.is_empty()));
    assert_eq!(report.problems(), Vec::<String>::new());
}

#[test]
fn a_changed_fact_makes_its_records_stale() {
    let problems = check_with(
        None,
        Some(("fails fast, not billed", "fails slowly, billed")),
    );
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0]
            .starts_with("/components/responses/Gone/x-observed/0: stale record: \"410 Gone\""),
        "{problems:#?}"
    );
}

#[test]
fn a_new_fact_must_be_taken_in() {
    let new = "- **Webhooks.** Segmind calls back when a job ends. [low]\n- **Job metrics**";
    let problems = check_with(None, Some(("- **Job metrics**", new)));
    assert_eq!(
        problems,
        [
            "api-facts.md: the fact \"Webhooks\" is taken into the spec nowhere (no x-observed record cites it)"
        ]
    );
}

#[test]
fn a_spec_that_drops_what_a_fact_encodes_is_a_problem() {
    // 402 answered to a queued submission would no longer stop a batch.
    let problems = check_with(
        Some(("\"402\": \"refused-for-all\"", "\"402\": \"refused\"")),
        None,
    );
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0].starts_with(
            "\"402 on /v2 for no credits\": post /v2/ideogram-txt-2-img classes 402 `refused`"
        ),
        "{problems:#?}"
    );
    // A required `status` would lose a paid job whose answer lacks it.
    let problems = check_with(
        Some((
            "\"required\": [\n          \"request_id\"\n        ]",
            "\"required\": [\n          \"request_id\",\n          \"status\"\n        ]",
        )),
        None,
    );
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("\"The submit answer\": JobSubmitted requires")),
        "{problems:#?}"
    );
}
