//! The spec is a well-formed OpenAPI 3.1 document and says what the
//! reference material says. Each endpoint's parameters against its Segmind
//! page are checked by `cargo xtask sources` (`xtask/tests/sources.rs`).

use std::collections::BTreeSet;

use segmind_ideogram_tests::{reference_list, root, spec};
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

#[test]
fn resolution_enums_match_the_reference_lists_in_order() {
    let spec = spec();
    let schemas = &spec["components"]["schemas"];
    let v2 = schemas["V2Resolution"]["enum"].as_array().unwrap();
    let v3 = schemas["V3Resolution"]["enum"].as_array().unwrap();
    // The reference lists are the source: a value added there and to the
    // enum changes nothing here.
    let list = |name| -> Vec<Value> { reference_list(name).into_iter().map(Value::from).collect() };
    assert_eq!(*v2, list("ideogram-v2-resolutions.json"));
    assert_eq!(*v3, list("ideogram-v3-resolutions.json"));
}

#[test]
fn every_endpoint_has_sync_and_async_operations_and_the_queue_paths_exist() {
    let spec = spec();
    let paths = spec["paths"].as_object().unwrap();
    // Every operation that names an endpoint; the generator requires its
    // path to be `/v1/{slug}`.
    let endpoints: Vec<(&String, &Value)> = paths
        .iter()
        .filter(|(_, item)| item["post"]["x-segmind-endpoint"].is_object())
        .collect();
    assert!(
        !endpoints.is_empty(),
        "no operation carries x-segmind-endpoint"
    );
    for (path, item) in endpoints {
        let sync = &item["post"];
        let slug = sync["x-segmind-endpoint"]["slug"].as_str().unwrap();
        assert_eq!(*path, format!("/v1/{slug}"));
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
