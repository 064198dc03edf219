//! The client README's `Cargo.toml` snippets are what a fresh user needs:
//! the crates' current versions, features that exist, and the tokio
//! features the README's own examples use (`#[tokio::main]` needs `macros`
//! and `rt-multi-thread`; `#[tokio::test]`, `macros` and `rt`).

use std::collections::BTreeSet;

use regex_lite::Regex;
use segmind_ideogram_tests::root;

/// The README's `toml` blocks, each as its lines.
fn toml_blocks(readme: &str) -> Vec<String> {
    readme
        .split("```toml\n")
        .skip(1)
        .map(|rest| rest.split("```").next().unwrap_or_default().to_owned())
        .collect()
}

/// `name = "version"` or `name = { version = "...", features = [...] }` in
/// `block`: the version and the features.
fn dependency(block: &str, name: &str) -> Option<(String, BTreeSet<String>)> {
    let line = block
        .lines()
        .find(|line| line.split('=').next().map(str::trim) == Some(name))?;
    let version = Regex::new(r#"(?:version\s*=\s*|=\s*)"([^"]+)""#).unwrap();
    let version = version.captures(line)?[1].to_owned();
    let features = Regex::new(r"features\s*=\s*\[([^\]]*)\]").unwrap();
    let features = features
        .captures(line)
        .map(|c| {
            c[1].split(',')
                .map(|f| f.trim().trim_matches('"').to_owned())
                .filter(|f| !f.is_empty())
                .collect()
        })
        .unwrap_or_default();
    Some((version, features))
}

/// The `major.minor` a `^` requirement on a 0.x version must name.
fn workspace_version() -> String {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let version = Regex::new(r#"(?m)^version = "(\d+)\.(\d+)\.\d+""#).unwrap();
    let caps = version
        .captures(&manifest)
        .expect("the workspace's version");
    format!("{}.{}", &caps[1], &caps[2])
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn the_readme_names_the_versions_and_the_tokio_features_its_examples_need() {
    let readme = std::fs::read_to_string(root().join("client/README.md")).unwrap();
    let blocks = toml_blocks(&readme);
    let main = blocks
        .iter()
        .find(|b| b.contains("[dependencies]"))
        .expect("a [dependencies] snippet");
    let version = workspace_version();

    let (client, _) = dependency(main, "segmind-ideogram").expect("the client");
    assert_eq!(client, version, "the snippet's version of segmind-ideogram");
    let (tokio, features) = dependency(main, "tokio").expect("tokio for #[tokio::main]");
    assert_eq!(tokio, "1");
    if readme.contains("#[tokio::main]") {
        assert!(
            features.is_superset(&set(&["macros", "rt-multi-thread"])),
            "#[tokio::main] needs macros and rt-multi-thread: {features:?}"
        );
    }

    let dev = blocks
        .iter()
        .find(|b| b.contains("[dev-dependencies]"))
        .expect("a [dev-dependencies] snippet for tests against the mock");
    let (mock, _) = dependency(dev, "segmind-ideogram-mock").expect("the mock");
    assert_eq!(mock, version);
    let (_, features) = dependency(dev, "tokio").expect("tokio for #[tokio::test]");
    assert!(
        features.is_superset(&set(&["macros", "rt"])),
        "{features:?}"
    );
}

#[test]
fn every_feature_the_readme_names_exists() {
    let readme = std::fs::read_to_string(root().join("client/README.md")).unwrap();
    let manifest = std::fs::read_to_string(root().join("client/Cargo.toml")).unwrap();
    let features = manifest
        .split("[features]")
        .nth(1)
        .expect("client features")
        .split("\n[")
        .next()
        .unwrap_or_default();
    let declared: BTreeSet<&str> = features
        .lines()
        .filter_map(|line| line.split_once('=').map(|(name, _)| name.trim()))
        .collect();
    let named = Regex::new(r#"segmind-ideogram = \{[^}]*features = \[([^\]]*)\]"#).unwrap();
    let mut seen = 0;
    for caps in named.captures_iter(&readme) {
        for feature in caps[1].split(',').map(|f| f.trim().trim_matches('"')) {
            seen += 1;
            assert!(
                declared.contains(feature),
                "the README names feature `{feature}`; the client has {declared:?}"
            );
        }
    }
    assert!(seen > 0, "the README shows no feature (blocking)");
}
