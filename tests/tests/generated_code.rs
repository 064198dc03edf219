//! Snapshots of every generated file, so a spec change shows up as a
//! reviewable diff; and the generator is deterministic. (That the checked-in
//! files are fresh is xtask's test, `checked_in_generated_code_is_fresh`.)

use segmind_ideogram_codegen::{PREAMBLE, generate};
use segmind_ideogram_tests::spec_text;

#[test]
fn every_generated_file_matches_its_snapshot() {
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
        insta::assert_snapshot!(file.name, file.contents);
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
