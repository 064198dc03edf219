//! A corpus of request payloads derived from the spec alone (independent of
//! the generator): every bound ±1, every enum value, unknown values, missing
//! members, wrong types, pattern and URI samples, array lengths and the
//! cross-field rule.

use serde_json::{Map, Value, json};

/// Strings that do and do not match a pattern of the spec. A pattern without
/// samples fails the test, so a new pattern cannot slip through untested.
fn pattern_samples(pattern: &str) -> (Vec<&'static str>, Vec<&'static str>) {
    match pattern {
        "^#(?:[0-9a-fA-F]{3}){1,2}$" => (
            vec!["#fff", "#B470B3", "#0a0b0c"],
            vec!["fff", "#ffff", "#gggggg", "pink", "#b470b3 ", ""],
        ),
        "^[0-9a-fA-F]{8}$" => (
            vec!["AAFF5733", "0b1c2d3e"],
            vec!["Modern", "AAFF573", "AAFF57333", "AAFF573G"],
        ),
        other => panic!("no samples for pattern {other}: add some to this test"),
    }
}

const URIS: [&str; 3] = [
    "https://example.com/a.png",
    "data:image/png;base64,iVBORw0KGgo=",
    "http://127.0.0.1:9/x?y=1",
];
const NOT_URIS: [&str; 3] = ["panda.png", "", "/relative/path.png"];

fn resolve<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => spec
            .pointer(r.trim_start_matches('#'))
            .expect("ref resolves"),
        None => schema,
    }
}

/// A valid value for `schema` (the smallest that satisfies it).
fn sample(spec: &Value, schema: &Value) -> Value {
    let s = resolve(spec, schema);
    if let Some(values) = s.get("enum") {
        return values[0].clone();
    }
    if let Some(variants) = s.get("oneOf") {
        return sample(spec, &variants[0]);
    }
    match s["type"].as_str() {
        Some("string") => match (s.get("pattern"), s.get("format")) {
            (Some(p), _) => json!(pattern_samples(p.as_str().unwrap()).0[0]),
            (_, Some(_)) => json!(URIS[0]),
            _ => json!("a panda"),
        },
        Some("integer") => s.get("minimum").cloned().unwrap_or(json!(1)),
        Some("number") => s.get("maximum").cloned().unwrap_or(json!(0.5)),
        Some("array") => {
            let n = s.get("minItems").and_then(Value::as_u64).unwrap_or(1);
            Value::Array((0..n).map(|_| sample(spec, &s["items"])).collect())
        }
        Some("object") => {
            let mut out = Map::new();
            for r in s["required"].as_array().into_iter().flatten() {
                let name = r.as_str().unwrap();
                out.insert(name.to_owned(), sample(spec, &s["properties"][name]));
            }
            Value::Object(out)
        }
        _ => json!(null),
    }
}

/// Values for one schema: (value, expected valid?) — expectation is only a
/// hint for corpus coverage; the verdict that counts is the validators'.
fn variations(spec: &Value, schema: &Value) -> Vec<Value> {
    let s = resolve(spec, schema);
    let mut out = Vec::new();
    if let Some(values) = s.get("enum") {
        out.extend(values.as_array().unwrap().iter().cloned());
        out.extend([
            json!("NOT_A_VALUE"),
            json!(values[0].as_str().unwrap().to_lowercase()),
            json!(7),
        ]);
        return out;
    }
    if let Some(variants) = s.get("oneOf") {
        for v in variants.as_array().unwrap() {
            out.push(sample(spec, v));
            out.extend(variations(spec, v));
        }
        out.push(json!({}));
        out.push(json!("PASTEL"));
        return out;
    }
    match s["type"].as_str() {
        Some("string") => {
            if let Some(p) = s.get("pattern") {
                let (good, bad) = pattern_samples(p.as_str().unwrap());
                out.extend(good.into_iter().map(Value::from));
                out.extend(bad.into_iter().map(Value::from));
            } else if s.get("format").is_some() {
                out.extend(URIS.into_iter().chain(NOT_URIS).map(Value::from));
            } else {
                out.extend([json!(""), json!("ünïcödé ✓")]);
            }
            out.extend([json!(12), json!(null), json!(["a"])]);
        }
        Some("integer") => {
            for bound in ["minimum", "maximum"] {
                if let Some(b) = s.get(bound).and_then(Value::as_i64) {
                    out.extend([json!(b - 1), json!(b), json!(b + 1)]);
                }
            }
            out.extend([
                json!(500.0),
                json!(500.5),
                json!("500"),
                json!(true),
                json!(-1),
                json!(u64::MAX),
            ]);
        }
        Some("number") => {
            for bound in ["minimum", "maximum"] {
                if let Some(b) = s.get(bound).and_then(Value::as_f64) {
                    out.extend([json!(b - 0.01), json!(b), json!(b + 0.01)]);
                }
            }
            out.extend([json!(0.5), json!(1), json!("0.5"), json!(null)]);
        }
        Some("array") => {
            let item = sample(spec, &s["items"]);
            out.push(json!([]));
            out.push(json!([item.clone()]));
            if let Some(max) = s.get("maxItems").and_then(Value::as_u64) {
                out.push(Value::Array(vec![item.clone(); max as usize]));
                out.push(Value::Array(vec![item.clone(); max as usize + 1]));
            }
            for v in variations(spec, &s["items"]) {
                out.push(json!([item.clone(), v]));
            }
            out.push(json!("not an array"));
        }
        Some("object") => {
            let base = sample(spec, s);
            out.push(base.clone());
            for (name, prop) in s["properties"].as_object().unwrap() {
                for v in variations(spec, prop) {
                    let mut o = base.clone();
                    o[name] = v;
                    out.push(o);
                }
            }
            for r in s["required"].as_array().into_iter().flatten() {
                let mut o = base.clone();
                o.as_object_mut().unwrap().remove(r.as_str().unwrap());
                out.push(o);
            }
            let mut extra = base.clone();
            extra["surprise"] = json!(1);
            out.push(extra);
            out.push(json!([]));
        }
        _ => {}
    }
    out
}

/// Payloads for one request schema: the base, every member varied alone,
/// each required member dropped, unknown members and wrong top-level types.
pub fn corpus(spec: &Value, schema_name: &str) -> Vec<Value> {
    let schema = &spec["components"]["schemas"][schema_name];
    let base = sample(spec, schema);
    let mut out = vec![
        base.clone(),
        json!(null),
        json!("prompt"),
        json!([base.clone()]),
    ];
    for (name, prop) in schema["properties"].as_object().unwrap() {
        for v in variations(spec, prop) {
            let mut o = base.clone();
            o[name] = v;
            out.push(o);
        }
    }
    for r in schema["required"].as_array().into_iter().flatten() {
        let mut o = base.clone();
        o.as_object_mut().unwrap().remove(r.as_str().unwrap());
        out.push(o);
    }
    // Every optional member set at once, then pairs of array members (the
    // cross-field rule lives there).
    let mut full = base.clone();
    for (name, prop) in schema["properties"].as_object().unwrap() {
        full[name] = sample(spec, prop);
    }
    out.push(full.clone());
    let arrays: Vec<&String> = schema["properties"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, p)| p["type"] == "array")
        .map(|(n, _)| n)
        .collect();
    for a in &arrays {
        for b in &arrays {
            if a < b {
                for (va, vb) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                    let mut o = base.clone();
                    o[a.as_str()] =
                        Value::Array(vec![
                            sample(spec, &schema["properties"][a.as_str()]["items"]);
                            va
                        ]);
                    o[b.as_str()] =
                        Value::Array(vec![
                            sample(spec, &schema["properties"][b.as_str()]["items"]);
                            vb
                        ]);
                    out.push(o);
                }
            }
        }
    }
    out
}
