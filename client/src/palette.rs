//! A colour palette written as text: a preset's name (`PASTEL`) or its
//! colours, `#hex[:weight]` separated by commas (`#b470b3:0.5,#ffffff`).
//! The short form the CLI's `--color-palette` takes, for any caller. Built
//! from the generated types, so every value is checked by the spec's rules
//! (the presets, the hex pattern, the weights' range, one to eight
//! colours); a mistake is a [`Violation`] with its path in the palette.

use std::str::FromStr;

use crate::generated::{
    ColorHex, ColorPalette, ColorPaletteMember, ColorWeight, CustomColorPalette, PalettePresetName,
};
use crate::validation::{ParseEnumError, Rule, Violation};

impl ColorPalette {
    /// Reads a palette written as a preset's name, in any case (`PASTEL`,
    /// `pastel`), or as its colours: `#hex[:weight]` separated by commas.
    ///
    /// ```
    /// use segmind_ideogram::{ColorPalette, PalettePresetName};
    ///
    /// assert_eq!(ColorPalette::parse("pastel")?, PalettePresetName::Pastel.into());
    /// let custom = ColorPalette::parse("#b470b3:0.5, #ffffff")?;
    /// assert_eq!(
    ///     serde_json::to_string(&custom)?,
    ///     r##"{"members":[{"color_hex":"#b470b3","color_weight":0.5},{"color_hex":"#ffffff"}]}"##
    /// );
    /// let typo = ColorPalette::parse("PASTELL").unwrap_err();
    /// assert_eq!(typo.path, "name");
    /// assert!(typo.to_string().ends_with("a similar value exists: PASTEL"));
    /// assert_eq!(
    ///     ColorPalette::parse("#fff,#zzz").unwrap_err().to_string(),
    ///     "members[1].color_hex: must be a hex colour such as #b470b3"
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parse(text: &str) -> Result<Self, Violation> {
        let text = text.trim();
        if text.starts_with('#') {
            custom(text).map(Self::Custom)
        } else {
            preset(text).map(Self::from)
        }
    }
}

impl FromStr for ColorPalette {
    type Err = Violation;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl TryFrom<&str> for ColorPalette {
    type Error = Violation;

    fn try_from(text: &str) -> Result<Self, Self::Error> {
        Self::parse(text)
    }
}

fn preset(text: &str) -> Result<PalettePresetName, Violation> {
    let wire = PalettePresetName::VALUES
        .iter()
        .find(|v| v.eq_ignore_ascii_case(text))
        .copied()
        .unwrap_or(text);
    wire.parse()
        .map_err(|e: ParseEnumError| at("name", e.into_rule()))
}

fn custom(text: &str) -> Result<CustomColorPalette, Violation> {
    let mut members = Vec::new();
    for (i, part) in text.split(',').enumerate() {
        let (hex, weight) = match part.split_once(':') {
            Some((hex, weight)) => (hex.trim(), Some(weight.trim())),
            None => (part.trim(), None),
        };
        let member_at = |name: &str| format!("members[{i}].{name}");
        let hex = ColorHex::new(hex).map_err(|e| at(&member_at("color_hex"), e.rule))?;
        let mut member = ColorPaletteMember::new(hex);
        if let Some(weight) = weight {
            let weight = match weight.parse::<f64>() {
                Ok(weight) => ColorWeight::new(weight).map_err(|e| e.rule),
                Err(_) => Err(Rule::Type { expected: "number" }),
            }
            .map_err(|rule| at(&member_at("color_weight"), rule))?;
            member = member.color_weight(weight);
        }
        members.push(member);
    }
    CustomColorPalette::new(members).map_err(|e| at("members", e.rule))
}

fn at(path: &str, rule: Rule) -> Violation {
    Violation {
        path: path.to_owned(),
        rule,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_of_the_spec_holds() {
        for (text, path, code) in [
            ("NEON", "name", "enum"),
            ("", "name", "enum"),
            ("#fff:heavy", "members[0].color_weight", "type"),
            ("#fff:NaN", "members[0].color_weight", "type"),
            ("#fff:7", "members[0].color_weight", "maximum"),
            ("#fff,,#000", "members[1].color_hex", "pattern"),
            ("#b470b3,#zzz", "members[1].color_hex", "pattern"),
        ] {
            let error = ColorPalette::parse(text).unwrap_err();
            assert_eq!(
                (error.path.as_str(), error.rule.code()),
                (path, code),
                "{text}"
            );
        }
        let nine = ["#fff"; 9].join(",");
        let error = ColorPalette::parse(&nine).unwrap_err();
        assert_eq!(
            (error.path.as_str(), error.rule.code()),
            ("members", "max_items")
        );
        let eight = ["#fff"; 8].join(",");
        assert!(ColorPalette::parse(&eight).is_ok());
    }

    #[test]
    fn every_preset_reads_in_any_case() {
        for (value, wire) in PalettePresetName::ALL.iter().zip(PalettePresetName::VALUES) {
            assert_eq!(
                ColorPalette::parse(&wire.to_lowercase()).unwrap(),
                ColorPalette::from(*value)
            );
        }
    }
}
