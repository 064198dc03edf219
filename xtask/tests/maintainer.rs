//! The maintainer's loop when Segmind changes a page, on a scratch copy of
//! the workspace: each change is made under `spec/` only (a new capture, a
//! reference list), and `cargo xtask import`, `sources --check`, `sources
//! --fix`, `codegen` and `changes` do the rest. Counts, prices and names
//! are read from the copies, never written here as literals, so these
//! tests hold whatever the real pages say.
//!
//! The fixture `fixtures/ideogram-3-replace-background.txt` is a page in
//! Segmind's layout for an endpoint without a size member (its output
//! follows the input image), written for this test: the real spec does not
//! hold that endpoint.

use crate::common;

use std::fs;
use std::path::Path;

use common::{scratch, workspace};
use regex_lite::Regex;
use serde_json::Value;
use xtask::changes::{self, Class};
use xtask::sources::{self, Sources, fix, page};
use xtask::{GENERATED_DIR, Mode, SOURCES_DIR, SPEC, codegen};

fn read(root: &Path, file: &str) -> String {
    fs::read_to_string(root.join(file)).unwrap()
}

fn page_path(slug: &str) -> String {
    format!("{SOURCES_DIR}/{slug}.txt")
}

/// Replaces what `pattern` matches on a file of the scratch copy.
fn edit(
    root: &Path,
    file: &str,
    pattern: &str,
    with: impl Fn(&regex_lite::Captures<'_>) -> String,
) {
    let text = read(root, file);
    let re = Regex::new(pattern).unwrap();
    assert!(re.is_match(&text), "{file} has no {pattern}");
    fs::write(
        root.join(file),
        re.replace(&text, |c: &regex_lite::Captures<'_>| with(c))
            .as_ref(),
    )
    .unwrap();
}

/// `sources --check` fails on the change and shows the fragment that
/// answers it; `--fix` writes it and the check passes; `codegen` writes
/// the code and `codegen --check` finds it fresh. The `--check` text.
fn check_fix_generate(root: &Path, problem: &str, fragment: &str) -> String {
    let (text, clean) = sources::check_text(root).unwrap();
    assert!(!clean, "{text}");
    assert!(text.contains(problem), "{problem} not in {text}");
    assert!(
        text.contains("`cargo xtask sources --fix` writes it") && text.contains(fragment),
        "{fragment} not in {text}"
    );
    let (fixed, clean) = sources::fix_spec(root).unwrap();
    assert!(clean, "problems left after --fix: {fixed}");
    let (_, clean) = sources::check_text(root).unwrap();
    assert!(clean);
    codegen(root, Mode::Write).unwrap();
    codegen(root, Mode::Check).unwrap();
    text
}

/// What `cargo xtask changes` makes of the copy's spec against the real one.
fn changes_from_real(root: &Path) -> Vec<changes::Change> {
    changes::compare(&read(&workspace(), SPEC), &read(root, SPEC)).unwrap()
}

fn generated(root: &Path, file: &str) -> String {
    read(root, &format!("{GENERATED_DIR}/{file}"))
}

#[test]
fn the_spec_is_written_back_as_the_repository_keeps_it() {
    let text = read(&workspace(), SPEC);
    let value: Value = serde_json::from_str(&text).unwrap();
    assert!(
        fix::to_text(&value) == text,
        "--fix would reformat the spec"
    );
}

#[test]
fn a_new_resolution_is_its_reference_list_and_its_page() {
    let dir = scratch();
    let root = dir.path();
    // Ideogram lists one more size; the page announces one more value.
    let list_file = format!("{SOURCES_DIR}/ideogram-v3-resolutions.json");
    let mut list: Vec<String> = serde_json::from_str(&read(root, &list_file)).unwrap();
    let added = "1536x1536";
    assert!(!list.iter().any(|v| v == added));
    list.push(added.into());
    fs::write(
        root.join(&list_file),
        serde_json::to_string_pretty(&list).unwrap(),
    )
    .unwrap();
    let page = page_path("ideogram-3-reframe");
    edit(root, &page, r"\((\d+) total\)", |c| {
        format!("({} total)", c[1].parse::<usize>().unwrap() + 1)
    });
    edit(root, &page, r"\+(\d+) more", |c| {
        format!("+{} more", c[1].parse::<usize>().unwrap() + 1)
    });

    check_fix_generate(
        root,
        &format!(
            "ideogram-3-reframe, resolution.reference, page: ideogram-v3-resolutions.json lists \"{added}\""
        ),
        "/components/schemas/V3Resolution/enum:",
    );
    let spec: Value = serde_json::from_str(&read(root, SPEC)).unwrap();
    let values = spec["components"]["schemas"]["V3Resolution"]["enum"].clone();
    assert_eq!(
        values,
        serde_json::json!(list),
        "the enum is the list, in its order"
    );
    assert!(generated(root, "enums.rs").contains("Size1536x1536,"));
    let found = changes_from_real(root);
    assert!(
        found.iter().any(|c| c.class == Class::Minor
            && c.item == "V3Resolution"
            && c.what == format!("value {added} added")),
        "{found:#?}"
    );
}

#[test]
fn a_new_price_is_written_from_the_page() {
    let dir = scratch();
    let root = dir.path();
    let slug = "ideogram-turbo-img-2-img";
    let before = page::parse(&read(root, &page_path(slug)))
        .price_usd
        .unwrap();
    let new = before.1 + 0.01;
    edit(
        root,
        &page_path(slug),
        r"(?m)^\$[0-9.]+(?: - \$[0-9.]+)? per generation",
        |_| format!("${new} per generation"),
    );

    check_fix_generate(
        root,
        &format!("{slug}, price, page: ${new}"),
        "x-segmind-endpoint/price_usd:",
    );
    let registry = generated(root, "registry.rs");
    assert!(
        registry.contains(&format!("min_usd: {new},"))
            && registry.contains(&format!("max_usd: {new},")),
        "the registry holds the page's price"
    );
    let found = changes_from_real(root);
    assert!(
        found.iter().any(|c| c.item == format!("endpoint {slug}")
            && c.what.starts_with("price ")
            && c.attention.is_some()),
        "{found:#?}"
    );
}

#[test]
fn a_new_optional_parameter_gets_its_schema_from_the_page() {
    let dir = scratch();
    let root = dir.path();
    let slug = "ideogram-img-2-img";
    // A block in the page's own layout, before its `seed`.
    edit(root, &page_path(slug), r"(?m)^seedoptional$", |c| {
        format!(
            "num_imagesoptional\ninteger\n\nNumber of images to generate\n\nDefault: 1\nRange: 1 - 4\n{}",
            &c[0]
        )
    });

    let text = check_fix_generate(
        root,
        &format!("{slug}, num_images, page: optional integer, spec: no such parameter"),
        "/components/schemas/NumImages: {\"type\":\"integer\",\"minimum\":1,\"maximum\":4",
    );
    assert!(
        text.contains("properties/num_images: {\"$ref\":\"#/components/schemas/NumImages\",\"description\":\"Number of images to generate\",\"default\":1}"),
        "{text}"
    );
    let requests = generated(root, "requests.rs");
    assert!(requests.contains("pub fn num_images(mut self, num_images: NumImages) -> Self"));
    let found = changes_from_real(root);
    let added = found
        .iter()
        .find(|c| c.item == "IdeogramImg2ImgRequest.num_images")
        .expect("the new member");
    assert_eq!(added.class, Class::Minor);
    assert!(
        added
            .attention
            .as_deref()
            .is_some_and(|a| a.starts_with("a count of images")),
        "not a plain addition: {added:#?}"
    );
}

#[test]
fn a_new_endpoint_without_a_size_member_comes_from_its_page() {
    let dir = scratch();
    let root = dir.path();
    let capture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/ideogram-3-replace-background.txt");
    let slug = "ideogram-3-replace-background";
    let imported = sources::import::import(root, &[&capture], Some("2026-12-05")).unwrap();
    assert!(
        imported.contains(&format!("added {SOURCES_DIR}/{slug}.txt")),
        "{imported}"
    );
    let readme = read(root, &format!("{SOURCES_DIR}/README.md"));
    assert!(
        readme
            .lines()
            .any(|l| l.starts_with(&format!("| `{slug}.txt` |")) && l.ends_with("| 2026-12-05 |")),
        "{readme}"
    );

    check_fix_generate(
        root,
        &format!(
            "{slug}, endpoint, page: https://api.segmind.com/v1/{slug}, spec: no endpoint {slug}"
        ),
        "/components/schemas/Ideogram3ReplaceBackgroundRequest:",
    );
    let sources = Sources::load(root).unwrap();
    assert_eq!(sources.compare().unwrap().unchecked, Vec::<String>::new());
    let requests = generated(root, "requests.rs");
    assert!(requests.contains("pub struct Ideogram3ReplaceBackgroundRequest"));
    assert!(
        requests.contains("OutputSize::FollowsInput {\n            member: \"image\",\n        }"),
        "the output follows the input image"
    );
    let registry = generated(root, "registry.rs");
    assert!(registry.contains(&format!("slug: \"{slug}\"")));
    // The lists of the READMEs are generated too.
    assert!(read(root, "README.md").contains(&format!("`{slug}`<!-- /endpoints -->")));
    assert!(read(root, "cli/README.md").contains("`3-replace-background`<!-- /subcommands -->"));
    let found = changes_from_real(root);
    assert!(
        found
            .iter()
            .any(|c| c.class == Class::Minor && c.item == format!("endpoint {slug}")),
        "{found:#?}"
    );
}
