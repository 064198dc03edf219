//! The conformance corpus, `spec/answers/<group>/<name>.json`: every answer
//! body Segmind is recorded or documented to give, each with its source,
//! the operation that gets it, its status, and what a client must make of
//! it (`expect`); and, when the mock can give it, how (`mock`).

use std::fs;

use serde_json::Value;

use crate::root;

/// One answer of the corpus.
#[derive(Debug, Clone)]
pub struct Answer {
    /// `group/name.json`.
    pub name: String,
    pub source: String,
    /// The spec's role of the operation (`job-status`), or `sync` / `submit`.
    pub operation: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The JSON body, or `None` for a text body.
    pub body: Option<Value>,
    pub text: Option<String>,
    pub expect: Value,
    /// `{scenario, answers, set}`: how the mock gives this answer.
    pub mock: Option<Value>,
}

impl Answer {
    /// The body's bytes.
    pub fn bytes(&self) -> Vec<u8> {
        match (&self.body, &self.text) {
            (Some(body), _) => serde_json::to_vec(body).unwrap(),
            (None, Some(text)) => text.as_bytes().to_vec(),
            (None, None) => Vec::new(),
        }
    }

    /// Its `Content-Type`: the fixture's, else JSON's.
    pub fn content_type(&self) -> String {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            .map_or_else(|| "application/json".to_owned(), |(_, v)| v.clone())
    }
}

/// Every answer of the corpus, sorted by name.
pub fn answers() -> Vec<Answer> {
    let dir = root().join("spec/answers");
    let mut out = Vec::new();
    let mut groups: Vec<_> = fs::read_dir(&dir).unwrap().flatten().collect();
    groups.sort_by_key(|e| e.file_name());
    for group in groups {
        let mut files: Vec<_> = fs::read_dir(group.path()).unwrap().flatten().collect();
        files.sort_by_key(|e| e.file_name());
        for file in files {
            let name = format!(
                "{}/{}",
                group.file_name().to_string_lossy(),
                file.file_name().to_string_lossy()
            );
            let doc: Value = serde_json::from_str(&fs::read_to_string(file.path()).unwrap())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let text = |key: &str| {
                doc[key]
                    .as_str()
                    .unwrap_or_else(|| panic!("{name}: no `{key}`"))
                    .to_owned()
            };
            let headers = doc["headers"]
                .as_object()
                .map(|h| {
                    h.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
                        .collect()
                })
                .unwrap_or_default();
            out.push(Answer {
                source: text("source"),
                operation: text("operation"),
                status: u16::try_from(doc["status"].as_u64().expect("status")).unwrap(),
                headers,
                body: doc.get("body").cloned(),
                text: doc.get("text").and_then(Value::as_str).map(str::to_owned),
                expect: doc["expect"].clone(),
                mock: doc.get("mock").cloned(),
                name,
            });
        }
    }
    out
}

/// Where `actual` differs in shape from `expected`: other member names, or
/// another JSON type (values aside; each element of an array against the
/// first expected one).
pub fn shape_difference(expected: &Value, actual: &Value, at: &str) -> Option<String> {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            let (mut want, mut got): (Vec<&String>, Vec<&String>) =
                (e.keys().collect(), a.keys().collect());
            want.sort();
            got.sort();
            if want != got {
                return Some(format!("{at}: members {got:?}, expected {want:?}"));
            }
            e.iter()
                .find_map(|(k, v)| shape_difference(v, &a[k], &format!("{at}.{k}")))
        }
        (Value::Array(e), Value::Array(a)) => match e.first() {
            Some(first) => a
                .iter()
                .enumerate()
                .find_map(|(i, v)| shape_difference(first, v, &format!("{at}[{i}]"))),
            None => (!a.is_empty()).then(|| format!("{at}: not empty")),
        },
        (e, a) if std::mem::discriminant(e) == std::mem::discriminant(a) => None,
        (e, a) => Some(format!("{at}: {a}, expected the type of {e}")),
    }
}
