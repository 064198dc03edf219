//! Every generated file is stamped, and the generator is deterministic.
//! The checked-in files under `client/src/generated/` are the snapshots
//! (rust-analyzer's way): a spec change shows up as their diff in review,
//! and `cargo xtask codegen --check` (xtask's test
//! `checked_in_generated_code_is_fresh`, and CI) fails when they are stale.

use segmind_ideogram_codegen::{PREAMBLE, generate};
use segmind_ideogram_tests::spec_text;

#[test]
fn every_generated_file_is_stamped_generated() {
    let files = generate(&spec_text()).expect("spec generates");
    let names: Vec<&str> = files.iter().map(|f| f.name).collect();
    assert_eq!(
        names,
        [
            "mod.rs",
            "enums.rs",
            "scalars.rs",
            "models.rs",
            "requests.rs",
            "responses.rs",
            "registry.rs",
            "outcomes.rs",
            "bounds.rs"
        ]
    );
    for file in files {
        assert!(
            file.contents.starts_with(PREAMBLE),
            "{} lacks the preamble",
            file.name
        );
        assert!(file.contents.contains("@generated"));
    }
}

#[test]
fn generation_is_byte_identical_across_runs() {
    let spec = spec_text();
    let first = generate(&spec).unwrap();
    for _ in 0..3 {
        assert_eq!(generate(&spec).unwrap(), first);
    }
}
