//! Whether a history row records a body we sent, and an endpoint we sent
//! it to. The history may write the body its own way: with defaults added,
//! numbers as `5.0` or `"5"`, some members left out.

use serde_json::Value;

/// How a row's body compares with the body sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Likeness {
    /// A member both have differs: not this request.
    Conflicts,
    /// No body, or no member in common: it cannot be told.
    Unreadable,
    /// Every member both have agrees, but the row lacks some sent ones.
    Partial,
    /// The row holds every member sent, each equal.
    Whole,
}

/// Compares a recorded body with the one sent (both JSON objects, or a
/// string holding one on the record's side).
pub fn likeness(recorded: Option<&Value>, sent: &Value) -> Likeness {
    let Some(recorded) = recorded.and_then(as_object) else {
        return Likeness::Unreadable;
    };
    let Value::Object(sent) = sent else {
        return Likeness::Unreadable;
    };
    let mut common = 0;
    let mut missing = 0;
    for (name, want) in sent {
        match recorded.get(name) {
            Some(have) if same(have, want) => common += 1,
            Some(_) => return Likeness::Conflicts,
            None => missing += 1,
        }
    }
    match (common, missing) {
        (0, _) if !sent.is_empty() => Likeness::Unreadable,
        (_, 0) => Likeness::Whole,
        _ => Likeness::Partial,
    }
}

fn as_object(value: &Value) -> Option<serde_json::Map<String, Value>> {
    match value {
        Value::Object(map) => Some(map.clone()),
        Value::String(text) => match serde_json::from_str(text) {
            Ok(Value::Object(map)) => Some(map),
            _ => None,
        },
        _ => None,
    }
}

/// Whether `have` records `want`: objects member by member (extra members
/// are defaults the history added), arrays item by item, numbers by value
/// (also when written as text).
fn same(have: &Value, want: &Value) -> bool {
    match (have, want) {
        (Value::Object(have), Value::Object(want)) => want
            .iter()
            .all(|(k, v)| have.get(k).is_some_and(|h| same(h, v))),
        (Value::Array(have), Value::Array(want)) => {
            have.len() == want.len() && have.iter().zip(want).all(|(h, w)| same(h, w))
        }
        (Value::Number(have), Value::Number(want)) => have.as_f64() == want.as_f64(),
        (Value::String(have), Value::Number(want)) => {
            have.trim().parse::<f64>().ok() == want.as_f64()
        }
        _ => have == want,
    }
}

/// How a row's model compares with an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Model {
    /// The row's model names the endpoint (Segmind's filter is a
    /// substring: `segmind/ideogram-txt-2-img` is `ideogram-txt-2-img`).
    Same,
    /// The row names no model.
    Unknown,
    /// Another model.
    Other,
}

/// Compares a row's `model_name` with `slug`, case-insensitively.
pub fn model(recorded: Option<&str>, slug: &str) -> Model {
    match recorded.map(str::trim) {
        None | Some("") => Model::Unknown,
        Some(name)
            if name
                .to_ascii_lowercase()
                .contains(&slug.to_ascii_lowercase()) =>
        {
            Model::Same
        }
        Some(_) => Model::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bodies_compare_as_the_history_writes_them() {
        let sent = json!({"prompt": "x", "seed": 100});
        let cases = [
            (json!({"seed": 100, "prompt": "x"}), Likeness::Whole),
            (
                json!({"prompt": "x", "seed": 100.0, "magic_prompt_option": "AUTO"}),
                Likeness::Whole,
            ),
            (json!({"prompt": "x", "seed": "100"}), Likeness::Whole),
            (json!("{\"prompt\":\"x\",\"seed\":100}"), Likeness::Whole),
            (json!({"prompt": "x"}), Likeness::Partial),
            (json!({"prompt": "y", "seed": 100}), Likeness::Conflicts),
            (json!({"prompt": "x", "seed": 101}), Likeness::Conflicts),
            (json!({}), Likeness::Unreadable),
            (json!("not json"), Likeness::Unreadable),
            (json!(null), Likeness::Unreadable),
        ];
        for (recorded, want) in cases {
            assert_eq!(likeness(Some(&recorded), &sent), want, "{recorded}");
        }
        assert_eq!(likeness(None, &sent), Likeness::Unreadable);
    }

    #[test]
    fn models_match_by_substring() {
        assert_eq!(
            model(Some("ideogram-txt-2-img"), "ideogram-txt-2-img"),
            Model::Same
        );
        assert_eq!(
            model(Some("segmind/Ideogram-TXT-2-img"), "ideogram-txt-2-img"),
            Model::Same
        );
        assert_eq!(
            model(Some("ideogram-3-reframe"), "ideogram-txt-2-img"),
            Model::Other
        );
        assert_eq!(model(Some(" "), "ideogram-txt-2-img"), Model::Unknown);
        assert_eq!(model(None, "x"), Model::Unknown);
    }
}
