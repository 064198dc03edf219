//! One classification of answers, driven by the spec: every status the
//! spec lists for an operation has exactly one class in its `x-outcomes`,
//! and the generated `OperationKind::answered` gives that class, with the
//! class's meaning as the spec's vocabulary says. Read from the spec's JSON
//! here, independently of the generator.

use std::collections::BTreeSet;

use segmind_ideogram::{AnswerClass, Billing, OperationKind, Retry};
use segmind_ideogram_tests::spec;
use serde_json::Value;

/// The generated kind of an operation of the spec.
fn kind(path: &str, op: &Value) -> OperationKind {
    if op.get("x-segmind-endpoint").is_some() {
        return OperationKind::Sync;
    }
    match op["x-segmind-role"].as_str() {
        Some("job-status") => OperationKind::JobStatus,
        Some("job-result") => OperationKind::JobResult,
        Some("job-poll-legacy") => OperationKind::JobPollLegacy,
        Some("credits") => OperationKind::Credits,
        Some("request-history") => OperationKind::RequestHistory,
        Some("request-record") => OperationKind::RequestRecord,
        Some("upload-asset") => OperationKind::UploadAsset,
        Some(other) => panic!("unknown role {other}"),
        None => {
            assert!(path.starts_with("/v2/"), "{path}");
            OperationKind::Submit
        }
    }
}

#[test]
fn every_listed_status_has_exactly_one_class_and_the_generated_table_agrees() {
    let spec = spec();
    let mut seen_kinds = BTreeSet::new();
    let mut checked = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let kind = kind(path, op);
            seen_kinds.insert(format!("{kind:?}"));
            let outcomes = op["x-outcomes"]
                .as_object()
                .unwrap_or_else(|| panic!("{method} {path} has no x-outcomes"));
            let listed: Vec<&String> = op["responses"].as_object().unwrap().keys().collect();
            let classed: Vec<&String> = outcomes
                .keys()
                .filter(|k| k.chars().all(|c| c.is_ascii_digit()))
                .collect();
            assert_eq!(
                listed, classed,
                "{method} {path}: listed vs classed statuses"
            );
            let documented: Vec<u16> = listed.iter().map(|s| s.parse().unwrap()).collect();
            assert_eq!(kind.documented(), documented.as_slice(), "{method} {path}");
            for status in &documented {
                let class = outcomes[&status.to_string()].as_str().unwrap();
                assert_eq!(
                    kind.answered(*status).name(),
                    class,
                    "{method} {path} {status}"
                );
                checked += 1;
            }
            for (key, status) in [("4XX", 499), ("5XX", 599), ("default", 302)] {
                assert_eq!(kind.answered(status).name(), outcomes[key], "{path} {key}");
            }
            assert_eq!(kind.unanswered().name(), outcomes["unanswered"], "{path}");
            assert_eq!(kind.unreadable().name(), outcomes["unreadable"], "{path}");
        }
    }
    assert!(checked > 100, "{checked} statuses");
    // Every generated kind but the output download has an operation.
    assert_eq!(seen_kinds.len() + 1, OperationKind::ALL.len());
}

#[test]
fn each_class_means_what_the_vocabulary_says() {
    let spec = spec();
    let vocabulary = spec["x-segmind-protocol"]["outcomes"].as_object().unwrap();
    assert_eq!(vocabulary.len(), AnswerClass::ALL.len());
    for class in AnswerClass::ALL {
        let entry = &vocabulary[class.name()];
        let billing = match entry["billed"].as_str().unwrap() {
            "yes" => Billing::Billed,
            "no" => Billing::NotBilled,
            _ => Billing::Unknown,
        };
        let retry = match entry["retry"].as_str().unwrap() {
            "never" => Retry::Never,
            "later" => Retry::Later,
            _ => Retry::AtOnce,
        };
        assert_eq!(class.billing(), billing, "{}", class.name());
        assert_eq!(class.retry(), retry, "{}", class.name());
        assert_eq!(
            class.stops_batch(),
            entry["batch"] == "stop",
            "{}",
            class.name()
        );
        assert_eq!(
            class.description(),
            entry["description"],
            "{}",
            class.name()
        );
    }
}

#[test]
fn what_stops_a_batch_is_what_the_issue_lists() {
    // 401, 402, 403, 406 (each of its meanings: one status), 410 stop a
    // batch at the first answer to a queued submission; nothing a read or
    // a 429 or a 5xx gets does.
    let stops: Vec<u16> = (100..600)
        .filter(|s| OperationKind::Submit.answered(*s).stops_batch())
        .collect();
    assert_eq!(stops, [401, 402, 403, 406, 410]);
    for status in [429, 500, 502, 503, 504] {
        assert!(!OperationKind::Submit.answered(status).stops_batch());
    }
    // No answer a generation gets is "not billed" unless it is a refusal.
    for status in 100..600 {
        let class = OperationKind::Submit.answered(status);
        if class.billing() == Billing::NotBilled {
            assert!((400..500).contains(&status), "{status} not billed?");
        }
    }
}
