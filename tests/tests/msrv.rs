//! The declared minimum Rust version is true: every workspace crate
//! declares it, and every locked dependency builds with it (the resolver is
//! MSRV-aware, `resolver = "3"`; clippy's `incompatible_msrv` checks our own
//! use of the standard library against it).
//!
//! `cargo metadata` reads the manifest of every locked crate, for every
//! platform, so it may download crates a Linux build never needs (Windows
//! ones): it runs with the registry reachable (no offline or frozen mode),
//! so the check does not depend on what the cargo cache happens to hold.

use serde_json::Value;

/// `1.89` as `(1, 89, 0)`.
fn version(text: &str) -> (u32, u32, u32) {
    let mut parts = text.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    )
}

#[test]
fn every_locked_crate_builds_with_the_declared_rust_version() {
    let root = segmind_ideogram_tests::root();
    let output = segmind_ideogram_tests::cargo(&["metadata", "--format-version", "1", "--locked"]);
    let metadata: Value = serde_json::from_slice(&output).unwrap();
    let members: Vec<&str> = metadata["workspace_members"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let declared = manifest
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = "))
        .map(|v| v.trim_matches('"'))
        .expect("the workspace declares rust-version");
    let msrv = version(declared);
    let mut too_new = Vec::new();
    for package in metadata["packages"].as_array().unwrap() {
        let id = package["id"].as_str().unwrap_or_default();
        let name = package["name"].as_str().unwrap_or_default();
        let needs = package["rust_version"].as_str();
        if members.contains(&id) {
            assert_eq!(
                needs,
                Some(declared),
                "{name} does not declare the workspace's rust-version"
            );
        } else if let Some(needs) = needs
            && version(needs) > msrv
        {
            too_new.push(format!("{name} {} needs {needs}", package["version"]));
        }
    }
    assert!(
        too_new.is_empty(),
        "locked crates newer than {declared}: {too_new:?}"
    );
}
