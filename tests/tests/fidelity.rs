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

/// Request type `T`'s name, and its canonical schema as derived and as declared.
fn both_sides<T: JsonSchema + Endpoint>() -> (&'static str, Value, Value) {
    let name = T::INFO.request_type;
    (name, schemars_canon::<T>(), spec_canon(name))
}

/// Every request type of the registry, whatever the spec holds.
macro_rules! every_request_type {
    ($($request:ty),* $(,)?) => {
        vec![$(both_sides::<$request>()),*]
    };
}

#[test]
fn every_request_type_matches_the_spec() {
    let sides = segmind_ideogram::for_each_endpoint!(every_request_type);
    let names: Vec<&str> = sides.iter().map(|(name, ..)| *name).collect();
    let registry: Vec<&str> = ENDPOINTS.iter().map(|e| e.request_type).collect();
    assert_eq!(names, registry, "for_each_endpoint! covers the registry");
    for (name, derived, declared) in &sides {
        assert_eq!(
            derived, declared,
            "{name}: schemars and the spec disagree\n derived: {derived:#}\n spec: {declared:#}"
        );
    }
    // Not vacuous: the canonical forms keep the rules that matter.
    let text: String = sides
        .iter()
        .map(|(_, _, declared)| declared.to_string())
        .collect();
    assert!(
        text.contains("\"enum\"") && text.contains("\"maximum\""),
        "{text}"
    );
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
