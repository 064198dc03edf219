//! Every example in `spec/examples/` gets exactly the verdict and the
//! violations it declares, from both the generated validators and an
//! independent JSON Schema validator; valid payloads round-trip unchanged.

use std::collections::BTreeSet;

use segmind_ideogram::{AnyRequest, Endpoint, FromJson, IdeogramImg2ImgRequest};
use segmind_ideogram_tests::{
    default_of, examples, marked_member, pointer_to_path, request_schema_name, spec, spec_validator,
};
use serde_json::Value;

#[test]
fn examples_exist_for_every_endpoint_both_valid_and_invalid() {
    let all = examples();
    for info in segmind_ideogram::ENDPOINTS {
        let of_slug: Vec<_> = all.iter().filter(|e| e.slug == info.slug).collect();
        assert!(
            of_slug.iter().any(|e| e.violations.is_empty()),
            "{}: no valid example",
            info.slug
        );
        assert!(
            of_slug.iter().any(|e| !e.violations.is_empty()),
            "{}: no invalid example",
            info.slug
        );
    }
    // And no example for a slug the registry lacks.
    for example in &all {
        assert!(
            segmind_ideogram::endpoint(&example.slug).is_some(),
            "spec/examples/{}: no such endpoint",
            example.slug
        );
    }
}

#[test]
fn generated_validators_report_exactly_the_declared_violations() {
    for example in examples() {
        let result = AnyRequest::from_json(&example.slug, &example.request)
            .unwrap_or_else(|| panic!("no endpoint {}", example.slug));
        let got: BTreeSet<(String, String)> = match &result {
            Ok(_) => BTreeSet::new(),
            Err(errors) => errors
                .violations()
                .iter()
                .map(|v| (v.path.clone(), v.rule.code().to_owned()))
                .collect(),
        };
        let want: BTreeSet<(String, String)> = example.violations.iter().cloned().collect();
        assert_eq!(
            got, want,
            "{}/{}: {}",
            example.slug, example.name, example.description
        );
    }
}

#[test]
fn json_schema_validator_agrees_with_every_example() {
    let spec = spec();
    for example in examples() {
        let validator = spec_validator(&spec, &request_schema_name(&spec, &example.slug));
        let errors: Vec<_> = validator.iter_errors(&example.request).collect();
        assert_eq!(
            errors.is_empty(),
            example.violations.is_empty(),
            "{}/{}: jsonschema says {:?}",
            example.slug,
            example.name,
            errors.iter().map(ToString::to_string).collect::<Vec<_>>()
        );
        // Where jsonschema locates the problem at a member, it is the same member.
        if example.violations.len() == 1 && errors.len() == 1 {
            let at = pointer_to_path(errors[0].instance_path().as_str());
            let declared = &example.violations[0].0;
            assert!(
                declared.starts_with(&at),
                "{}/{}: jsonschema points at `{at}`, example declares `{declared}`",
                example.slug,
                example.name
            );
        }
    }
}

#[test]
fn valid_examples_round_trip_through_the_typed_request() {
    for example in examples().into_iter().filter(|e| e.violations.is_empty()) {
        let request = AnyRequest::from_json(&example.slug, &example.request)
            .unwrap()
            .unwrap();
        assert_eq!(request.info().slug, example.slug);
        request.validate().unwrap();
        let serialized = serde_json::to_value(&request).unwrap();
        assert_eq!(
            serialized, example.request,
            "{}/{}",
            example.slug, example.name
        );
    }
}

#[test]
fn accessors_read_the_members_the_spec_marks() {
    let spec = spec();
    for example in examples().into_iter().filter(|e| e.violations.is_empty()) {
        let label = format!("{}/{}", example.slug, example.name);
        let request = AnyRequest::from_json(&example.slug, &example.request)
            .unwrap()
            .unwrap();
        let schema = request_schema_name(&spec, &example.slug);
        let sent = |role: &str| {
            let (name, _) = marked_member(&spec, &schema, role)?;
            example.request.get(&name).cloned()
        };
        assert_eq!(
            request.prompt_text().map(Value::from),
            sent("prompt"),
            "{label}"
        );
        assert_eq!(
            request.seed_value().map(Value::from),
            sent("seed"),
            "{label}"
        );
        // The size the member names (`1280x800`, `RESOLUTION_1280_800`), or its default.
        let (_, size) = marked_member(&spec, &schema, "output-size")
            .unwrap_or_else(|| panic!("{label}: no output size marked"));
        let named = sent("output-size")
            .or_else(|| default_of(&spec, &size))
            .unwrap_or_else(|| panic!("{label}: no size and no default"));
        let numbers: Vec<u32> = named
            .as_str()
            .unwrap()
            .split(|c: char| !c.is_ascii_digit())
            .filter_map(|n| n.parse().ok())
            .collect();
        let (width, height) = request.output_size().pixels().expect("a size in pixels");
        assert_eq!([width, height], numbers[..], "{label}");
    }
}

#[test]
fn img_2_img_document_example_is_rejected_by_both_validators() {
    let example = examples()
        .into_iter()
        .find(|e| e.slug == "ideogram-img-2-img" && e.name == "document")
        .unwrap();
    let errors = IdeogramImg2ImgRequest::from_json(&example.request).unwrap_err();
    assert_eq!(errors.violations().len(), 1);
    assert_eq!(errors.violations()[0].path, "image_file");
    assert_eq!(
        errors.to_string(),
        "invalid request (1 violation): image_file: is required"
    );
    let spec = spec();
    let validator = spec_validator(&spec, IdeogramImg2ImgRequest::INFO.request_type);
    assert!(!validator.is_valid(&example.request));
}

#[test]
fn unknown_slug_is_not_an_endpoint() {
    assert!(AnyRequest::from_json("ideogram-4-magic", &serde_json::json!({})).is_none());
    assert!(segmind_ideogram::endpoint("ideogram-4-magic").is_none());
    assert_eq!(
        segmind_ideogram::endpoint("ideogram-3-reframe")
            .unwrap()
            .title,
        "Ideogram 3 Reframe"
    );
}
