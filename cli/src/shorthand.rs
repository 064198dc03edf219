//! Shorter spellings of JSON members on the command line. A colour palette
//! (the one object member the endpoints take) can be written as a preset
//! name (`PASTEL`) or as its members, `#hex[:weight]` separated by commas
//! (`#b470b3:0.5,#ffffff`), besides JSON. The result is validated with the
//! rest of the request, so a mistake is reported with its path.

use serde_json::{Map, Value, json};

use crate::command::flag_name;
use crate::failure::Failure;

/// The JSON value of a flag whose member takes an object.
pub fn json_flag(name: &str, text: &str) -> Result<Value, Failure> {
    let trimmed = text.trim();
    if trimmed.starts_with(['{', '[']) {
        return serde_json::from_str(trimmed)
            .map_err(|e| Failure::input(format!("--{} is not valid JSON: {e}", flag_name(name))));
    }
    if trimmed.starts_with('#') {
        return members(trimmed)
            .map_err(|reason| Failure::input(format!("--{} {text}: {reason}", flag_name(name))));
    }
    if !trimmed.is_empty()
        && trimmed
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Ok(json!({"name": trimmed.to_ascii_uppercase()}));
    }
    Err(Failure::input(format!(
        "--{} {text}: give JSON, a preset name (PASTEL), or colours as #hex[:weight],…",
        flag_name(name)
    )))
}

/// `#b470b3:0.5,#ffffff` as `{"members": [...]}`.
fn members(text: &str) -> Result<Value, String> {
    let mut members = Vec::new();
    for (i, part) in text.split(',').enumerate() {
        let part = part.trim();
        let (hex, weight) = match part.split_once(':') {
            Some((hex, weight)) => (hex.trim(), Some(weight.trim())),
            None => (part, None),
        };
        if hex.is_empty() {
            return Err(format!("colour {} is empty", i + 1));
        }
        let mut member = Map::new();
        member.insert("color_hex".into(), Value::String(hex.to_owned()));
        if let Some(weight) = weight {
            let number: f64 = weight
                .parse()
                .map_err(|_| format!("`{weight}` is not a weight (a number such as 0.5)"))?;
            let value = serde_json::Number::from_f64(number)
                .ok_or_else(|| format!("`{weight}` is not a finite number"))?;
            member.insert("color_weight".into(), Value::Number(value));
        }
        members.push(Value::Object(member));
    }
    Ok(json!({ "members": members }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_members_and_json_all_work() {
        assert_eq!(
            json_flag("color_palette", "pastel").unwrap(),
            json!({"name": "PASTEL"})
        );
        assert_eq!(
            json_flag("color_palette", "#b470b3:0.5, #ffffff").unwrap(),
            json!({"members": [{"color_hex": "#b470b3", "color_weight": 0.5}, {"color_hex": "#ffffff"}]})
        );
        assert_eq!(
            json_flag("color_palette", r#"{"name":"EMBER"}"#).unwrap(),
            json!({"name": "EMBER"})
        );
        for bad in [
            "#fff:heavy",
            "#fff,,#000",
            "pas tel",
            "{not json",
            "#fff:NaN",
        ] {
            assert!(json_flag("color_palette", bad).is_err(), "{bad}");
        }
    }
}
