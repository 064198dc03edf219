//! Differential test: the generated validators and an independent JSON
//! Schema validator (the `jsonschema` crate, run on the spec itself) give the
//! same verdict on a corpus derived from the spec: every bound ±1, every enum
//! value, unknown enum values, missing required members, wrong types, pattern
//! and format samples, array lengths and the cross-field rule.

use std::collections::BTreeMap;

use segmind_ideogram::{AnyRequest, Endpoint};
use segmind_ideogram_tests::corpus::corpus;
use segmind_ideogram_tests::{pointer_to_path, request_schema_name, spec, spec_validator};
use serde_json::Value;

#[test]
fn generated_validators_and_json_schema_agree_on_a_derived_corpus() {
    let spec = spec();
    let mut checked = 0;
    for info in segmind_ideogram::ENDPOINTS {
        let schema_name = request_schema_name(&spec, info.slug);
        let validator = spec_validator(&spec, &schema_name);
        let payloads = corpus(&spec, &schema_name);
        // (accepted, rejected) among the payloads that vary each member alone.
        let mut sides: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        for payload in &payloads {
            let ours = AnyRequest::from_json(info.slug, payload).unwrap();
            let theirs: Vec<_> = validator.iter_errors(payload).collect();
            assert_eq!(
                ours.is_ok(),
                theirs.is_empty(),
                "{}: verdicts differ on {payload}\n  generated: {:?}\n  jsonschema: {:?}",
                info.slug,
                ours.as_ref().err().map(ToString::to_string),
                theirs
                    .iter()
                    .map(|e| format!("{} {e}", e.instance_path()))
                    .collect::<Vec<_>>()
            );
            if let Some(member) = varied_member(&payloads[0], payload) {
                let side = sides.entry(member).or_default();
                if ours.is_ok() {
                    side.0 += 1;
                } else {
                    side.1 += 1;
                }
            }
            if let Err(errors) = &ours {
                // Every member jsonschema complains about is one we name too
                // (or an ancestor of one: oneOf failures are reported at the union).
                for e in &theirs {
                    let at = pointer_to_path(e.instance_path().as_str());
                    assert!(
                        errors
                            .violations()
                            .iter()
                            .any(|v| v.path.starts_with(&at) || at.starts_with(&v.path)),
                        "{}: jsonschema flags `{at}` ({e}) but the generated validator reports {errors} for {payload}",
                        info.slug
                    );
                }
            }
            checked += 1;
        }
        // A corpus that probes only one side of a member would agree
        // trivially: every member must see both verdicts, whatever the
        // corpus's size.
        let members = spec["components"]["schemas"][&schema_name]["properties"]
            .as_object()
            .unwrap();
        for member in members.keys() {
            let (accepted, rejected) = sides.get(member).copied().unwrap_or_default();
            assert!(
                accepted > 0 && rejected > 0,
                "{}: the corpus is one-sided on `{member}`: {accepted} accepted, {rejected} rejected",
                info.slug
            );
        }
    }
    assert!(checked > 0, "empty corpus");
}

/// The one top-level member in which `payload` differs from `base` (set,
/// changed or removed), if it differs in exactly one.
fn varied_member(base: &Value, payload: &Value) -> Option<String> {
    let (Some(base), Some(payload)) = (base.as_object(), payload.as_object()) else {
        return None;
    };
    let mut differing = base
        .keys()
        .chain(payload.keys())
        .filter(|k| base.get(*k) != payload.get(*k));
    let first = differing.next()?;
    differing.all(|k| k == first).then(|| first.clone())
}

/// serde and `FromJson` are one parser: on every payload of `T`'s corpus
/// they give the same verdict, the same request and the same violations,
/// and an accepted request serializes to a payload that parses back to it.
fn serde_agrees_with_from_json<T: Endpoint + PartialEq>(spec: &Value) -> usize {
    let payloads = corpus(spec, T::INFO.request_type);
    for payload in &payloads {
        let ours = T::from_json(payload);
        let theirs = serde_json::from_value::<T>(payload.clone());
        match (&ours, &theirs) {
            (Ok(ours), Ok(theirs)) => {
                assert_eq!(ours, theirs, "{payload}");
                let again = serde_json::to_value(ours).unwrap();
                assert_eq!(T::from_json(&again).as_ref(), Ok(ours), "{again}");
            }
            (Err(errors), Err(message)) => {
                let message = message.to_string();
                for v in errors.violations() {
                    assert!(
                        message.contains(&v.rule.to_string()) && message.contains(&v.path),
                        "{}: serde says `{message}`, from_json {v} for {payload}",
                        T::INFO.slug
                    );
                }
            }
            _ => panic!(
                "{}: from_json says {:?}, serde says {:?} for {payload}",
                T::INFO.slug,
                ours.as_ref().map(|_| "ok").map_err(ToString::to_string),
                theirs.as_ref().map(|_| "ok").map_err(ToString::to_string),
            ),
        }
    }
    payloads.len()
}

macro_rules! serde_agrees_on_every_request_type {
    ($($request:ty),* $(,)?) => {
        [$(serde_agrees_with_from_json::<$request>(&spec())),*]
    };
}

#[test]
fn serde_and_from_json_are_one_parser() {
    let checked = segmind_ideogram::for_each_endpoint!(serde_agrees_on_every_request_type);
    assert_eq!(checked.len(), segmind_ideogram::ENDPOINTS.len());
    assert!(checked.iter().all(|&n| n > 0), "empty corpus: {checked:?}");
}
