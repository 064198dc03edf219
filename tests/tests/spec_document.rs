//! The spec is a well-formed OpenAPI 3.1 document and says what the
//! reference material says.

use std::collections::BTreeSet;

use segmind_ideogram_tests::{root, spec};
use serde_json::Value;

#[test]
fn spec_validates_against_the_openapi_3_1_meta_schema() {
    let meta: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("spec/meta/openapi-3.1-schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&meta)
        .expect("meta-schema compiles");
    let spec = spec();
    let errors: Vec<String> = validator
        .iter_errors(&spec)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "spec is not valid OpenAPI 3.1:\n{}",
        errors.join("\n")
    );
    assert!(spec["openapi"].as_str().unwrap().starts_with("3.1."));
}

#[test]
fn meta_schema_rejects_a_broken_document() {
    // Guards the test above: the meta-schema must be able to say no.
    let meta: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("spec/meta/openapi-3.1-schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&meta).unwrap();
    let mut broken = spec();
    broken["info"].as_object_mut().unwrap().remove("title");
    assert!(!validator.is_valid(&broken));
    let mut broken = spec();
    broken["paths"]["/v1/ideogram-txt-2-img"]["post"]["responses"]["200"] = Value::from(5);
    assert!(!validator.is_valid(&broken));
}

#[test]
fn every_component_schema_is_a_valid_json_schema() {
    let spec = spec();
    for (name, schema) in spec["components"]["schemas"].as_object().unwrap() {
        assert!(
            jsonschema::meta::is_valid(schema),
            "components/schemas/{name} is not a valid JSON Schema"
        );
    }
}

#[test]
fn every_ref_resolves() {
    fn walk(value: &Value, spec: &Value, at: &str) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    if k == "$ref" {
                        let target = v.as_str().unwrap().trim_start_matches('#');
                        assert!(spec.pointer(target).is_some(), "{at}: unresolved $ref {v}");
                    }
                    walk(v, spec, &format!("{at}/{k}"));
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    walk(v, spec, &format!("{at}/{i}"));
                }
            }
            _ => {}
        }
    }
    let spec = spec();
    walk(&spec, &spec, "");
}

fn reference_list(name: &str) -> Vec<Value> {
    let path = root().join("spec/sources").join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

#[test]
fn resolution_enums_match_the_reference_lists_in_order() {
    let spec = spec();
    let schemas = &spec["components"]["schemas"];
    let v2 = schemas["V2Resolution"]["enum"].as_array().unwrap();
    let v3 = schemas["V3Resolution"]["enum"].as_array().unwrap();
    assert_eq!(v2.len(), 78);
    assert_eq!(v3.len(), 69);
    assert_eq!(*v2, reference_list("ideogram-v2-resolutions.json"));
    assert_eq!(*v3, reference_list("ideogram-v3-resolutions.json"));
}

#[test]
fn each_endpoint_has_its_documented_parameters() {
    let spec = spec();
    let props = |slug: &str| -> BTreeSet<String> {
        let name = segmind_ideogram_tests::request_schema_name(&spec, slug);
        spec["components"]["schemas"][&name]["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    };
    let set = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    let v2_common = [
        "prompt",
        "magic_prompt_option",
        "negative_prompt",
        "resolution",
        "seed",
        "style_type",
    ];
    let mut t2i = set(&v2_common);
    t2i.insert("color_palette".into());
    assert_eq!(props("ideogram-txt-2-img"), t2i);
    let mut i2i = t2i.clone();
    i2i.extend(["image_file".to_string(), "image_weight".to_string()]);
    assert_eq!(props("ideogram-img-2-img"), i2i);
    assert_eq!(props("ideogram-turbo-img-2-img"), i2i);
    let mut a2 = i2i.clone();
    a2.remove("color_palette");
    assert_eq!(props("ideogram-2a-img-2-img"), a2);
    assert_eq!(
        props("ideogram-3-reframe"),
        set(&[
            "image",
            "color_palette",
            "rendering_speed",
            "resolution",
            "seed",
            "style_codes",
            "style_reference_images"
        ])
    );
}

#[test]
fn every_endpoint_has_sync_and_async_operations_and_the_queue_paths_exist() {
    let spec = spec();
    let paths = spec["paths"].as_object().unwrap();
    for slug in [
        "ideogram-txt-2-img",
        "ideogram-img-2-img",
        "ideogram-turbo-img-2-img",
        "ideogram-2a-img-2-img",
        "ideogram-3-reframe",
    ] {
        let sync = &paths[&format!("/v1/{slug}")]["post"];
        assert_eq!(sync["x-segmind-endpoint"]["slug"], slug);
        let statuses: BTreeSet<&str> = sync["responses"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        for code in [
            "200", "400", "401", "403", "404", "405", "406", "422", "429", "500", "502", "504",
        ] {
            assert!(statuses.contains(code), "{slug} lacks {code}");
        }
        assert!(
            paths[&format!("/v2/{slug}")]["post"].is_object(),
            "{slug} lacks v2"
        );
    }
    for path in [
        "/v2/requests/{request_id}/status",
        "/v2/requests/{request_id}",
    ] {
        let responses = &paths[path]["get"]["responses"];
        for code in ["200", "404", "422"] {
            assert!(responses[code].is_object(), "{path} lacks {code}");
        }
    }
    let status = &spec["components"]["schemas"]["JobStatus"]["enum"];
    assert_eq!(
        *status,
        serde_json::json!(["QUEUED", "PROCESSING", "COMPLETED", "FAILED"])
    );
}
