//! The last section of `spec/sources/api-facts.md`, "How Segmind is seen to
//! answer in the wild", against the spec.
//!
//! Each of its bullets is a fact, named by its bold title. The spec takes a
//! fact in with an `x-observed` record (`{fact, says, spec}`), anywhere in
//! the document, or, where it keeps a value against the fact, with an
//! `x-source-deviations` record naming it as `source` (`{fact, source,
//! says, reason}`; `source` may also be a section heading of the file).
//! The check:
//! - every fact is cited at least once;
//! - every record names a fact (or section) that exists, and quotes it as
//!   it stands (`says`, whitespace and `**` aside): when the file changes,
//!   the record goes stale and says so;
//! - for the facts the spec encodes as structure (402 and 410 refusals,
//!   FAILED bodies without an id, media as objects, the submit answer, the
//!   history's parameters, the headers, the metrics, `negative_prompt` on
//!   2a, the seed range), the structure is there.

use serde_json::{Map, Value};

/// The file and section the facts come from.
pub const FILE: &str = "api-facts.md";
pub const SECTION: &str = "How Segmind is seen to answer in the wild";

/// One fact of the section.
#[derive(Debug, Clone, PartialEq)]
pub struct WildFact {
    /// The bullet's bold title, without a final period.
    pub title: String,
    /// The bullet's text, whitespace collapsed and `**` removed.
    pub text: String,
}

/// How the section came out.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WildReport {
    /// Every fact, and the records that cite it (pointer of each).
    pub facts: Vec<(WildFact, Vec<String>)>,
    /// One line per problem.
    pub problems: Vec<String>,
}

/// Reads the facts file and checks the spec against its last section.
pub fn check(spec: &Value, facts_md: &str) -> WildReport {
    let sections = sections(facts_md);
    let Some((_, section)) = sections.iter().find(|(title, _)| title == SECTION) else {
        return WildReport {
            facts: Vec::new(),
            problems: vec![format!("{FILE}: no section \"{SECTION}\"")],
        };
    };
    let facts = bullets(section);
    let mut report = WildReport {
        facts: facts.iter().map(|f| (f.clone(), Vec::new())).collect(),
        problems: Vec::new(),
    };
    let mut records = Vec::new();
    collect(spec, String::new(), &mut records);
    for record in records {
        let Record {
            pointer,
            fact,
            source,
            says,
        } = match record {
            Ok(record) => record,
            Err(problem) => {
                report.problems.push(problem);
                continue;
            }
        };
        // An `x-observed` record names a fact; a deviation its source.
        let cited = source.as_deref().unwrap_or(&fact);
        let text = match report.facts.iter_mut().find(|(f, _)| f.title == cited) {
            Some((f, by)) => {
                by.push(pointer.clone());
                Some(f.text.clone())
            }
            None => sections
                .iter()
                .find(|(title, _)| source.is_some() && title == cited)
                .map(|(_, body)| normalize(body)),
        };
        match text {
            None => report.problems.push(format!(
                "{pointer}: cites \"{cited}\", which is no fact of {FILE}'s last section{}",
                if source.is_some() { " nor a section heading" } else { "" }
            )),
            Some(text) if !text.contains(&normalize(&says)) => report.problems.push(format!(
                "{pointer}: stale record: \"{cited}\" no longer says \"{says}\"; update or remove it"
            )),
            Some(_) => {}
        }
    }
    for (fact, by) in &report.facts {
        if by.is_empty() {
            report.problems.push(format!(
                "{FILE}: the fact \"{}\" is taken into the spec nowhere (no x-observed record cites it)",
                fact.title
            ));
        }
    }
    for (title, check) in STRUCTURE {
        if !report.facts.iter().any(|(f, _)| f.title == *title) {
            continue;
        }
        if let Err(problem) = check(spec) {
            report.problems.push(format!("\"{title}\": {problem}"));
        }
    }
    report
}

/// `## ` sections: (heading, body).
fn sections(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if let Some(title) = line.strip_prefix("## ") {
            out.push((title.trim().to_owned(), String::new()));
        } else if let Some((_, body)) = out.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    out
}

/// The facts of a section: each `- **Title.** text` bullet with its
/// continuation lines.
fn bullets(section: &str) -> Vec<WildFact> {
    let mut raw: Vec<String> = Vec::new();
    for line in section.lines() {
        if let Some(start) = line.strip_prefix("- ") {
            raw.push(start.to_owned());
        } else if line.starts_with("  ")
            && let Some(last) = raw.last_mut()
        {
            last.push(' ');
            last.push_str(line.trim());
        }
    }
    raw.iter()
        .filter_map(|bullet| {
            let rest = bullet.strip_prefix("**")?;
            let (title, _) = rest.split_once("**")?;
            Some(WildFact {
                title: title.trim().trim_end_matches('.').to_owned(),
                text: normalize(bullet),
            })
        })
        .collect()
}

fn normalize(text: &str) -> String {
    text.replace("**", "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

struct Record {
    pointer: String,
    fact: String,
    /// For a deviation record: the fact or section it keeps a value against.
    source: Option<String>,
    says: String,
}

/// Every `x-observed` record, and every `x-source-deviations` record with
/// a `source`.
fn collect(value: &Value, at: String, out: &mut Vec<Result<Record, String>>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let pointer = format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
                match key.as_str() {
                    "x-observed" => read_records(child, &pointer, &["fact", "says", "spec"], out),
                    "x-source-deviations" => {
                        let sourced = child.as_array().map_or(Vec::new(), |records| {
                            records
                                .iter()
                                .enumerate()
                                .filter(|(_, r)| r.get("source").is_some())
                                .map(|(i, r)| (i, r.clone()))
                                .collect()
                        });
                        for (i, record) in sourced {
                            let at = format!("{pointer}/{i}");
                            out.push(record_of(
                                &record,
                                &at,
                                &["fact", "source", "says", "reason"],
                            ));
                        }
                    }
                    _ => collect(child, pointer, out),
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                collect(child, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn read_records(
    value: &Value,
    pointer: &str,
    members: &[&str],
    out: &mut Vec<Result<Record, String>>,
) {
    let Some(records) = value.as_array() else {
        out.push(Err(format!(
            "{pointer}: expected an array of {{{}}} records",
            members.join(", ")
        )));
        return;
    };
    for (i, record) in records.iter().enumerate() {
        out.push(record_of(record, &format!("{pointer}/{i}"), members));
    }
}

fn record_of(record: &Value, at: &str, members: &[&str]) -> Result<Record, String> {
    let map = record
        .as_object()
        .ok_or_else(|| format!("{at}: expected an object {{{}}}", members.join(", ")))?;
    if let Some(key) = map.keys().find(|k| !members.contains(&k.as_str())) {
        return Err(format!(
            "{at}: unknown member `{key}` ({})",
            members.join(", ")
        ));
    }
    let text = |key: &str| -> Result<String, String> {
        match map.get(key) {
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
            _ => Err(format!("{at}: `{key}` must be a non-empty string")),
        }
    };
    for key in members {
        text(key)?;
    }
    Ok(Record {
        pointer: at.to_owned(),
        fact: text("fact")?,
        source: map
            .contains_key("source")
            .then(|| text("source"))
            .transpose()?,
        says: text("says")?,
    })
}

type Check = fn(&Value) -> Result<(), String>;

/// The facts the spec encodes as structure, and the structure.
const STRUCTURE: &[(&str, Check)] = &[
    ("402 on /v2 for no credits", |spec| {
        refused_for_all(spec, "402", |path| {
            path.starts_with("/v2/") && !path.starts_with("/v2/requests")
        })
    }),
    ("410 Gone", |spec| {
        refused_for_all(spec, "410", |path| {
            (path.starts_with("/v1/") || path.starts_with("/v2/"))
                && !path.contains("/requests")
                && !path.contains("get-user-credits")
        })
    }),
    ("A FAILED body may carry no `request_id`", |spec| {
        for name in ["JobStatusResponse", "JobResult"] {
            if required(spec, name).contains(&"request_id") {
                return Err(format!("{name} requires `request_id`"));
            }
        }
        Ok(())
    }),
    ("Result media as objects", |spec| {
        for member in ["output", "images", "image"] {
            let at = format!("/components/schemas/JobResult/properties/{member}");
            let schema = spec
                .pointer(&at)
                .ok_or_else(|| format!("JobResult has no `{member}`"))?;
            if schema.get("type").is_some() {
                return Err(format!(
                    "JobResult's `{member}` is typed, so a URL string and a `MediaFile` object cannot both be read"
                ));
            }
        }
        Ok(())
    }),
    ("The submit answer", |spec| {
        let required = required(spec, "JobSubmitted");
        if required != ["request_id"] {
            return Err(format!(
                "JobSubmitted requires {required:?}; only `request_id` may be, so a paid job is never lost to the rest"
            ));
        }
        has_properties(spec, "JobSubmitted", &["status_url", "response_url"])
    }),
    ("Job metrics", |spec| {
        has_properties(spec, "JobMetrics", &["remaining_credits", "retry_count"])
    }),
    ("Headers", |spec| {
        let paths = paths(spec);
        for (path, item) in paths.iter().filter(|(p, _)| p.starts_with("/v1/ideogram")) {
            for header in [
                "x-generation-time",
                "x-request-id",
                "x-output-metadata",
                "x-gpu-info",
            ] {
                let at = format!("/post/responses/200/headers/{header}");
                if item.pointer(&at).is_none() {
                    return Err(format!("{path}: its 200 does not declare `{header}`"));
                }
            }
        }
        spec.pointer("/components/responses/TooManyRequests/headers/x-rate-limit-remaining")
            .map(|_| ())
            .ok_or_else(|| "TooManyRequests does not declare `x-rate-limit-remaining`".to_owned())
    }),
    ("Request history", |spec| {
        let op = spec
            .pointer("/paths/~1inference-request~1request-history/get")
            .ok_or("no request-history operation")?;
        let parameter = |name: &str| {
            op.get("parameters")
                .and_then(Value::as_array)
                .and_then(|ps| ps.iter().find(|p| p["name"] == name))
                .ok_or_else(|| format!("the history takes no `{name}`"))
        };
        parameter("user_id")?;
        parameter("user_email")?;
        for (name, default) in [
            ("per_page", Value::from(20)),
            ("sort_by", Value::from("model_created")),
            ("sort_order", Value::from("desc")),
        ] {
            if parameter(name)?["schema"]["default"] != default {
                return Err(format!("`{name}` does not default to {default}"));
            }
        }
        Ok(())
    }),
    ("`negative_prompt` on 2a", |spec| {
        let at = "/components/schemas/Ideogram2aImg2ImgRequest/properties/negative_prompt";
        match spec.pointer(at) {
            Some(_) => Err("the 2a request still takes `negative_prompt`".to_owned()),
            None => Ok(()),
        }
    }),
    ("Seeds", |spec| {
        let seed = spec
            .pointer("/components/schemas/Seed")
            .ok_or("no Seed schema")?;
        let (min, max) = (seed.get("minimum"), seed.get("maximum"));
        if min != Some(&Value::from(100)) || max != Some(&Value::from(999_999)) {
            return Err(format!(
                "the seed's range is {min:?} to {max:?}; the pages' 100 to 999999 was kept on purpose"
            ));
        }
        Ok(())
    }),
];

fn paths(spec: &Value) -> Vec<(&String, &Value)> {
    spec.get("paths")
        .and_then(Value::as_object)
        .map(|p| p.iter().collect())
        .unwrap_or_default()
}

/// Every operation under a path `which` selects lists `status`, and
/// classes it refused, for every request of the account, not billed.
fn refused_for_all(spec: &Value, status: &str, which: fn(&str) -> bool) -> Result<(), String> {
    let empty = Map::new();
    let classes = spec
        .pointer("/x-segmind-protocol/outcomes")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let mut seen = 0;
    for (path, item) in paths(spec).into_iter().filter(|(p, _)| which(p)) {
        for (method, op) in item.as_object().into_iter().flatten() {
            if op.get("responses").is_none() {
                continue;
            }
            seen += 1;
            if op["responses"].get(status).is_none() {
                return Err(format!("{method} {path} does not list {status}"));
            }
            let class = op["x-outcomes"][status].as_str().unwrap_or_default();
            let meaning = &classes.get(class).cloned().unwrap_or_default();
            if meaning["billed"] != "no" || meaning["batch"] != "stop" {
                return Err(format!(
                    "{method} {path} classes {status} `{class}`, which is not a refusal for all (not billed, stops a batch)"
                ));
            }
        }
    }
    if seen == 0 {
        return Err("no operation to check".to_owned());
    }
    Ok(())
}

fn required<'a>(spec: &'a Value, schema: &str) -> Vec<&'a str> {
    spec.pointer(&format!("/components/schemas/{schema}/required"))
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn has_properties(spec: &Value, schema: &str, names: &[&str]) -> Result<(), String> {
    for name in names {
        let at = format!("/components/schemas/{schema}/properties/{name}");
        if spec.pointer(&at).is_none() {
            return Err(format!("{schema} has no `{name}`"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FACTS: &str = "# Title\n\n## Other\n\nan older page said 1-99999.\n\n## How Segmind is seen to answer in the wild\n\nIntro.\n\n- **First fact.** It says\n  this [high]\n- **Second** says `x`: that.\n";

    #[test]
    fn bullets_are_facts_with_continuations() {
        let facts = bullets(&sections(FACTS)[1].1);
        assert_eq!(facts.len(), 2);
        assert_eq!(facts[0].title, "First fact");
        assert_eq!(facts[0].text, "First fact. It says this [high]");
        assert_eq!(facts[1].title, "Second");
    }

    #[test]
    fn uncited_stale_and_unknown_records_are_problems() {
        let spec = serde_json::json!({
            "a": {"x-observed": [{"fact": "First fact", "says": "It says this", "spec": "taken"}]},
            "b": {"x-observed": [{"fact": "Third", "says": "x", "spec": "y"}]},
            "c": {"x-source-deviations": [
                {"fact": "range", "source": "Other", "says": "said 1-99999", "reason": "r"},
                {"fact": "range", "source": "Second", "says": "says `y`", "reason": "r"},
                {"fact": "range", "page": "not stated", "reason": "page records are not ours"}
            ]}
        });
        let report = check(&spec, FACTS);
        let problems = report.problems.join("\n");
        assert!(
            problems.contains("/b/x-observed/0: cites \"Third\""),
            "{problems}"
        );
        assert!(
            problems.contains("/c/x-source-deviations/1: stale record"),
            "{problems}"
        );
        assert_eq!(report.problems.len(), 2, "{problems}");
        assert_eq!(report.facts[0].1, ["/a/x-observed/0"]);
        assert_eq!(report.facts[1].1, ["/c/x-source-deviations/1"]);

        let uncited = check(&serde_json::json!({}), FACTS);
        assert_eq!(uncited.problems.len(), 2, "{:?}", uncited.problems);
        assert!(uncited.problems[0].contains("\"First fact\" is taken into the spec nowhere"));
    }
}
