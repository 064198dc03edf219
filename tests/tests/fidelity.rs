//! Spec fidelity: the JSON Schema that `schemars` derives from each generated
//! request type says what the spec says (members, required, enum values,
//! bounds, patterns, formats, array lengths, closedness). Both sides are
//! brought to one canonical form first, since they spell the same schema
//! differently (`$defs` vs `components`, `anyOf` vs `oneOf`, `const` lists).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use segmind_ideogram::*;
use segmind_ideogram_tests::spec;
use serde_json::{Value, json};

/// A canonical view of a schema: refs inlined, nulls dropped, only the
/// keywords that decide validity kept.
fn canon(schema: &Value, resolve: &dyn Fn(&str) -> Value) -> Value {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return canon(&resolve(r), resolve);
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(alts) = schema.get(key).and_then(Value::as_array) {
            let alts: Vec<&Value> = alts
                .iter()
                .filter(|a| a.get("type") != Some(&json!("null")))
                .collect();
            if alts.iter().all(|a| a.get("const").is_some()) {
                let values: Vec<Value> = alts.iter().map(|a| a["const"].clone()).collect();
                return json!({"type": "string", "enum": values});
            }
            if alts.len() == 1 {
                return canon(alts[0], resolve);
            }
            let mut canon_alts: Vec<Value> = alts.iter().map(|a| canon(a, resolve)).collect();
            canon_alts.sort_by_key(|v| v.to_string());
            return json!({ "alternatives": canon_alts });
        }
    }
    let mut out = BTreeMap::new();
    if let Some(ty) = schema.get("type") {
        let ty = match ty {
            Value::Array(types) => {
                let types: Vec<&Value> = types.iter().filter(|t| *t != "null").collect();
                assert_eq!(types.len(), 1, "unexpected multi-type {ty}");
                types[0].clone()
            }
            other => other.clone(),
        };
        out.insert("type", ty);
    }
    if let Some(e) = schema.get("enum") {
        out.insert(
            "enum",
            Value::Array(
                e.as_array()
                    .unwrap()
                    .iter()
                    .filter(|v| !v.is_null())
                    .cloned()
                    .collect(),
            ),
        );
    }
    for key in ["minimum", "maximum"] {
        if let Some(n) = schema.get(key).and_then(Value::as_f64) {
            // schemars adds 0 as the floor of unsigned types; the spec's own bound wins.
            out.insert(key, json!(n));
        }
    }
    for key in ["minItems", "maxItems"] {
        if let Some(n) = schema.get(key).and_then(Value::as_u64) {
            out.insert(key, json!(n));
        }
    }
    if let Some(p) = schema.get("pattern") {
        out.insert("pattern", p.clone());
    }
    if schema.get("format") == Some(&json!("uri")) {
        out.insert("format", json!("uri"));
    }
    if let Some(items) = schema.get("items") {
        out.insert("items", canon(items, resolve));
    }
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        let props: BTreeMap<&String, Value> =
            props.iter().map(|(k, v)| (k, canon(v, resolve))).collect();
        out.insert("properties", json!(props));
        let mut required: Vec<Value> = schema
            .get("required")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        required.sort_by_key(|v| v.to_string());
        out.insert("required", Value::Array(required));
        out.insert(
            "closed",
            json!(schema.get("additionalProperties") == Some(&json!(false))),
        );
    }
    json!(out)
}

fn schemars_canon<T: JsonSchema>() -> Value {
    let generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    let schema = generator.into_root_schema_for::<T>();
    let value = serde_json::to_value(&schema).unwrap();
    let defs = value.get("$defs").cloned().unwrap_or(json!({}));
    canon(&value, &|r: &str| {
        defs[r.trim_start_matches("#/$defs/")].clone()
    })
}

fn spec_canon(name: &str) -> Value {
    let spec = spec();
    let schema = spec["components"]["schemas"][name].clone();
    canon(&schema, &|r: &str| {
        spec.pointer(r.trim_start_matches('#')).unwrap().clone()
    })
}

fn assert_faithful<T: JsonSchema + Endpoint>() {
    let derived = schemars_canon::<T>();
    let declared = spec_canon(T::INFO.request_type);
    assert_eq!(
        derived,
        declared,
        "{}: schemars and the spec disagree\n derived: {derived:#}\n spec: {declared:#}",
        T::INFO.request_type
    );
    // Not vacuous: the canonical form keeps the rules that matter.
    let text = declared.to_string();
    assert!(
        text.contains("\"enum\"") && text.contains("\"maximum\""),
        "{text}"
    );
}

#[test]
fn txt_2_img_matches_the_spec() {
    assert_faithful::<IdeogramTxt2ImgRequest>();
}

#[test]
fn img_2_img_matches_the_spec() {
    assert_faithful::<IdeogramImg2ImgRequest>();
}

#[test]
fn turbo_img_2_img_matches_the_spec() {
    assert_faithful::<IdeogramTurboImg2ImgRequest>();
}

#[test]
fn two_a_img_2_img_matches_the_spec() {
    assert_faithful::<Ideogram2aImg2ImgRequest>();
}

#[test]
fn reframe_matches_the_spec() {
    assert_faithful::<Ideogram3ReframeRequest>();
}

#[test]
fn every_endpoint_is_covered_above() {
    let covered = [
        IdeogramTxt2ImgRequest::INFO.slug,
        IdeogramImg2ImgRequest::INFO.slug,
        IdeogramTurboImg2ImgRequest::INFO.slug,
        Ideogram2aImg2ImgRequest::INFO.slug,
        Ideogram3ReframeRequest::INFO.slug,
    ];
    let all: Vec<&str> = ENDPOINTS.iter().map(|e| e.slug).collect();
    assert_eq!(all, covered, "a new endpoint needs a fidelity test line");
}

#[test]
fn canonical_form_notices_a_drifted_bound() {
    // Guards the comparison itself: a spec that drifts from the types is caught.
    let spec = spec();
    let mut schemas = spec["components"]["schemas"].clone();
    schemas["Seed"]["maximum"] = json!(99_999);
    let drifted = canon(&schemas["IdeogramTxt2ImgRequest"], &|r: &str| {
        schemas[r.trim_start_matches("#/components/schemas/")].clone()
    });
    assert_ne!(drifted, schemars_canon::<IdeogramTxt2ImgRequest>());
}
